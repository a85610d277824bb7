#!/usr/bin/python3
"""HTTP probes of the dashboard over raw sockets, so that malformed requests
can be sent as they are.

    http.py HOST:PORT get PATH [BODY_FILE]   print the status (body to BODY_FILE)
    http.py HOST:PORT head PATH              print the status and the body's length
    http.py HOST:PORT post PATH              print the status
    http.py HOST:PORT huge-header            a 1 MiB header line (libsoup closes at 64 KiB)
    http.py HOST:PORT many-headers           2000 headers
    http.py HOST:PORT huge-body              GET announcing a 1 GiB body
    http.py HOST:PORT malformed              a request line that is not HTTP
    http.py HOST:PORT closed                 exit 0 if nothing listens any more

Prints the status code, or "closed" when the server closed the connection
without an answer. Exit status 0 unless the probe itself failed."""
import socket
import sys


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
