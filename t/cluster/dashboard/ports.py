#!/usr/bin/python3
"""ports.py TAG ROLE: the TCP ports on which one process of ROLE
(dask-mpi-scheduler or dask-mpi-worker) whose environment holds
DASK_MPI_TEST_TAG=TAG listens, one a line, sorted; exit 1 if no such process.
Reads /proc only. (Open MPI opens listening sockets of its own in every rank:
compare the scheduler with a worker to see the dashboard's.)"""
import os
import sys


def listening_inodes():
    inodes = {}
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == '0A':  # LISTEN
                        inodes[fields[9]] = int(fields[1].rsplit(':', 1)[1], 16)
        except OSError:
            pass
    return inodes


def main():
    tag = ('DASK_MPI_TEST_TAG=' + sys.argv[1]).encode()
    role = sys.argv[2].encode()
    found = False
    ports = set()
    listening = listening_inodes()
    for pid in sorted(filter(str.isdigit, os.listdir('/proc')), key=int):
        if found:
            break
        try:
            with open('/proc/%s/environ' % pid, 'rb') as f:
                if tag not in f.read().split(b'\0'):
                    continue
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                if role not in f.read().split(b'\0')[0]:
                    continue
            found = True
            for fd in os.listdir('/proc/%s/fd' % pid):
                target = os.readlink('/proc/%s/fd/%s' % (pid, fd))
                if target.startswith('socket:['):
                    inode = target[8:-1]
                    if inode in listening:
                        ports.add(listening[inode])
        except OSError:
            continue
    for port in sorted(ports):
        print(port)
    return 0 if found else 1


if __name__ == '__main__':
    sys.exit(main())
