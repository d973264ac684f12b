"""Facts and state of this process: fork handlers, what ``/proc`` (or
psutil) says of processes, the temporary directory the process started
with.
"""
