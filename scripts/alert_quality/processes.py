"""Child processes that are always stopped: each runs in its own session
(process group), logs to <log_dir>/<name>.log (appended: a restarted
exporter continues its log), and Children.stop_all() ends every one still
running, in reverse order of start, with SIGTERM and then SIGKILL."""

import os
import signal
import subprocess


class Child:
    def __init__(self, name, args, log_dir, cwd=None, env=None, pipe_stdout=False):
        self.name = name
        self.args = [str(a) for a in args]
        self.log_path = os.path.join(log_dir, name + ".log")
        with open(self.log_path, "ab") as log:
            log.write(("$ %s\n" % " ".join(self.args)).encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if pipe_stdout else log, stderr=log,
                start_new_session=True, text=pipe_stdout or None, bufsize=1 if pipe_stdout else -1)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self):
        """SIGKILL now (the process group), and reap it."""
        self.signal_group(signal.SIGKILL)
        return self.proc.wait()

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after timeout; returns the exit status."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def log_tail(self, limit=3000):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        return text[-limit:]


class Children:
    """The processes of one run."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self._children = []

    def start(self, name, args, **kwargs):
        child = Child(name, args, self.log_dir, **kwargs)
        self._children.append(child)
        return child

    def stop_all(self, timeout=10.0):
        for child in reversed(self._children):
            child.stop(timeout)
        self._children = []
