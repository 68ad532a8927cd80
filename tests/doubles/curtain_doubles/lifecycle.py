"""Running until SIGTERM or SIGINT, then stopping cleanly (exit status 0), as the real components do."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from curtain_doubles import log


class Lifecycle:
    """A stop flag the signal handlers raise, and the clean-up steps to run once it is raised."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._cleanups: list[Callable[[], None]] = []

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        log.info("Received signal, shutting down", signal=signal.Signals(number).name)
        self.stopping.set()

    def on_stop(self, cleanup: Callable[[], None]) -> None:
        self._cleanups.append(cleanup)

    def sleep(self, seconds: float) -> bool:
        """Waits up to `seconds`; True when it is time to stop."""
        return self.stopping.wait(seconds)

    def run_until_stopped(self) -> int:
        # Event.wait in the main thread returns as soon as a signal handler sets the event.
        while not self.stopping.wait(3600):
            pass
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception as error:  # a failed clean-up must not turn a clean stop into a crash
                log.warning("Clean-up step failed", err=str(error))
        log.info("Stopped")
        return 0


def every(lifecycle: Lifecycle, seconds: float, step: Callable[[], None], name: str) -> threading.Thread:
    """Runs `step` now and then every `seconds` in a daemon thread until the lifecycle stops."""

    def loop() -> None:
        while not lifecycle.stopping.is_set():
            try:
                step()
            except Exception as error:  # keep the loop alive, like a Go controller's wait.Until
                log.error("Loop step failed", loop=name, err=repr(error))
            if lifecycle.sleep(seconds):
                return

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
