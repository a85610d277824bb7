#!/usr/bin/python3
"""HTTP probes of the dashboard over raw sockets, so that malformed requests
can be sent as they are.

    http.py HOST:PORT get PATH [BODY_FILE]   print the status (body to BODY_FILE)
    http.py HOST:PORT head PATH              print the status and the body's length
    http.py HOST:PORT post PATH              print the status
    http.py HOST:PORT huge-header            a 1 MiB header line
    http.py HOST:PORT many-headers           2000 headers
    http.py HOST:PORT long-uri               a 64 KiB request line
    http.py HOST:PORT huge-body              GET announcing a 1 GiB body
    http.py HOST:PORT malformed              a request line that is not HTTP
    http.py HOST:PORT bad-request-line       "GET /health" and a head, no HTTP version
    http.py HOST:PORT slow-head SECONDS      a head that trickles in, a byte every
                                             0.2 s, never ends: the status the server
                                             answered with when it hung up, "closed"
                                             if it hung up without one, "open" if it
                                             still listens after SECONDS
    http.py HOST:PORT keep-alive-many        GET /health asking to keep the connection,
                                             then 2000 headers on the same connection:
                                             the statuses, or "closed" for the second
    http.py HOST:PORT keep-alive N           N GET /health on one connection, one
                                             after the other: the statuses
    http.py HOST:PORT hold N                 hold N connections (every other one sends
                                             half a request head, the rest nothing),
                                             then GET /health on a new connection, three
                                             times: "held N open M status S ms T" (M: how
                                             many of the N are still open afterwards;
                                             S, T: the slowest answer's status and time)
    http.py HOST:PORT closed                 exit 0 if nothing listens any more

Prints the status code, or "closed" when the server closed the connection
without an answer. Exit status 0 unless the probe itself failed."""
import socket
import sys
import time


def connect(hostport):
    host, _, port = hostport.rpartition(':')
    return socket.create_connection((host.strip('[]'), int(port)), timeout=20)


def exchange(hostport, request, want_body=True):
    s = connect(hostport)
    try:
        s.sendall(request)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b''
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if not want_body and b'\r\n\r\n' in data:
                break
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    if not data:
        return 'closed', {}, b''
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = lines[0].split(' ')[1] if len(lines[0].split(' ')) > 1 else 'bad-response'
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def status_of(data):
    if not data:
        return 'closed'
    words = data.split(b'\r\n', 1)[0].split(b' ')
    return words[1].decode('latin-1') if len(words) > 1 else 'bad-response'


def slow_head(hostport, seconds):
    s = connect(hostport)
    s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    s.settimeout(0.2)
    data = b''
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
            if not chunk:
                return status_of(data)
            data += chunk
        except socket.timeout:
            pass
        except ConnectionResetError:
            return status_of(data)
        try:
            s.send(b'a')
        except (BrokenPipeError, ConnectionResetError):
            pass
    s.close()
    return 'open'


def keep_alive_many(hostport):
    s = connect(hostport)
    s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n')
    data = b''
    while b'\r\n\r\nok\n' not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    first = status_of(data)
    try:
        s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\n' +
                  b''.join(b'X-H%d: %d\r\n' % (i, i) for i in range(2000)) + b'\r\n')
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (BrokenPipeError, ConnectionResetError):
        data = b''
    s.close()
    return first + ' ' + status_of(data)


def read_answer(s, data=b''):
    """One answer with a Content-Length body off socket s: (status, rest)."""
    while b'\r\n\r\n' not in data:
        chunk = s.recv(65536)
        if not chunk:
            return 'closed', b''
        data += chunk
    head, _, rest = data.partition(b'\r\n\r\n')
    length = 0
    for line in head.split(b'\r\n')[1:]:
        k, _, v = line.partition(b':')
        if k.strip().lower() == b'content-length':
            length = int(v)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status_of(head), rest[length:]


def keep_alive(hostport, n):
    s = connect(hostport)
    statuses, rest = [], b''
    for _ in range(n):
        s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
        status, rest = read_answer(s, rest)
        statuses.append(status)
    s.close()
    return ' '.join(statuses)


def hold(hostport, n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    held = []
    for i in range(n):
        s = connect(hostport)
        if i % 2:
            s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\nX-Half: ')
        held.append(s)
    time.sleep(0.5)  # the server has accepted them all
    worst_status, worst_ms = '200', 0.0
    for _ in range(3):
        t0 = time.monotonic()
        s = connect(hostport)
        s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        status, _ = read_answer(s)
        worst_ms = max(worst_ms, (time.monotonic() - t0) * 1000)
        if status != '200':
            worst_status = status
        s.close()
    still_open = 0
    for s in held:
        s.setblocking(False)
        try:
            still_open += s.recv(1) != b''  # b'': closed by the server
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        s.close()
    return 'held %d open %d status %s ms %d' % (n, still_open, worst_status, worst_ms)


def simple(hostport, method, path):
    host = hostport.encode()
    return (method.encode() + b' ' + path.encode() + b' HTTP/1.1\r\nHost: ' + host +
            b'\r\nConnection: close\r\n\r\n')


def main():
    hostport, mode = sys.argv[1], sys.argv[2]
    if mode == 'closed':
        try:
            connect(hostport).close()
        except OSError:
            return 0
        return 1
    if mode == 'get':
        status, headers, body = exchange(hostport, simple(hostport, 'GET', sys.argv[3]))
        if headers.get('transfer-encoding') == 'chunked':
            out, rest = b'', body
            while rest:
                size, _, rest = rest.partition(b'\r\n')
                n = int(size, 16)
                if n == 0:
                    break
                out, rest = out + rest[:n], rest[n + 2:]
            body = out
        if len(sys.argv) > 4:
            with open(sys.argv[4], 'wb') as f:
                f.write(body)
    elif mode == 'head':
        status, headers, body = exchange(hostport, simple(hostport, 'HEAD', sys.argv[3]))
        status = '%s %d' % (status, len(body))
    elif mode == 'post':
        status, _, _ = exchange(hostport, simple(hostport, 'POST', sys.argv[3])[:-2] +
                                b'Content-Length: 5\r\n\r\nhello')
    elif mode == 'huge-header':
        status, _, _ = exchange(hostport, b'GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * (1 << 20) +
                                b'\r\nConnection: close\r\n\r\n', want_body=False)
    elif mode == 'many-headers':
        status, _, _ = exchange(hostport, b'GET /health HTTP/1.1\r\nHost: x\r\n' +
                                b''.join(b'X-H%d: %d\r\n' % (i, i) for i in range(2000)) +
                                b'Connection: close\r\n\r\n', want_body=False)
    elif mode == 'long-uri':
        status, _, _ = exchange(hostport, b'GET /' + b'a' * (1 << 16) + b' HTTP/1.1\r\nHost: x\r\n'
                                b'Connection: close\r\n\r\n', want_body=False)
    elif mode == 'bad-request-line':
        status, _, _ = exchange(hostport, b'GET /health\r\nHost: x\r\nConnection: close\r\n\r\n',
                                want_body=False)
    elif mode == 'slow-head':
        status = slow_head(hostport, float(sys.argv[3]))
    elif mode == 'keep-alive-many':
        status = keep_alive_many(hostport)
    elif mode == 'keep-alive':
        status = keep_alive(hostport, int(sys.argv[3]))
    elif mode == 'hold':
        status = hold(hostport, int(sys.argv[3]))
    elif mode == 'huge-body':
        status, _, _ = exchange(hostport, b'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n'
                                b'Connection: close\r\n\r\n', want_body=False)
    elif mode == 'malformed':
        status, _, _ = exchange(hostport, b'\x00\x01 this is not HTTP \xff\r\n\r\n', want_body=False)
    else:
        print('unknown mode ' + mode, file=sys.stderr)
        return 2
    print(status)
    return 0


if __name__ == '__main__':
    sys.exit(main())
