"""Progress output under ``mpiexec``: the ranks' output reaches the terminal through a
pseudo-terminal of width 0, where a tqdm bar draws nothing; the one-line-per-epoch output
is used there instead."""
import fcntl
import os
import struct
import termios

import pytest

from jitnet.train import ProgbarLogger

pytestmark = pytest.mark.mpi


def test_a_zero_width_terminal_gets_epoch_lines():
    pytest.importorskip("tqdm")
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as tty:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
            bar = ProgbarLogger(verbose=1, stream=tty)
            bar.on_train_begin()
            assert tty.isatty() and not bar.live
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            bar.on_train_begin()
            assert bar.live
    finally:
        os.close(master)
        os.close(slave)
