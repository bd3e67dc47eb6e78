using System.Buffers;
using System.Net;
using System.Net.Sockets;
using WsFast.Load.Engine;

namespace WsFast.Load.Client.Http;

/// <summary>
/// A minimal persistent HTTP/1.1 client connection over a raw socket: the caller writes whole requests, and
/// reads each response's head and then its body (Content-Length, chunked, or until close), whole or as it
/// streams. Every byte received is counted into the given statistics at the socket, so heads, chunk framing
/// and event-stream framing all count as wire bytes.
/// </summary>
/// <remarks>One caller at a time; requests are not pipelined.</remarks>
public sealed class HttpConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly WorkerStats _stats;
    private byte[] _buffer;
    private int _start;
    private int _end;

    private HttpConnection(Socket socket, WorkerStats stats, int bufferSize)
    {
        _socket = socket;
        _stats = stats;
        _buffer = new byte[Math.Max(1024, bufferSize)];
    }

    /// <summary>Opens a connection to <paramref name="server"/>, from <paramref name="source"/> when given.</summary>
    /// <exception cref="WsClientException">The connection could not be opened.</exception>
    public static async Task<HttpConnection> ConnectAsync(IPEndPoint server, IPAddress? source, WorkerStats stats, int bufferSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new WsClientException(ErrorKind.ConnectFailed, $"Cannot connect to {server}: {e.SocketErrorCode}.");
        }

        return new HttpConnection(socket, stats, bufferSize);
    }

    /// <summary>Sends <paramref name="request"/> whole; returns its length. The caller counts it as it sees fit.</summary>
    public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> request)
    {
        int sent = 0;
        while (sent < request.Length)
        {
            sent += await _socket.SendAsync(request.Slice(sent), SocketFlags.None).ConfigureAwait(false);
        }

        return sent;
    }

    /// <summary>Reads the next response's head; the body follows through <see cref="ReadBodyAsync"/>.</summary>
    /// <exception cref="WsClientException">The server closed the connection or sent a malformed head.</exception>
    public async ValueTask<HttpResponseHead> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (HttpResponseHead.TryParse(_buffer.AsSpan(_start, _end - _start)) is { } head)
            {
                _start += head.Length;
                return head;
            }

            if (!await ReceiveAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new WsClientException(ErrorKind.ClosedByServer, "The server closed the connection before a whole response head.");
            }
        }
    }

    /// <summary>
    /// Reads more of a body into <paramref name="body"/>: what is already buffered, or else at least one
    /// socket read. Returns false once the body is complete (for a body that ends at close: once the server
    /// has closed).
    /// </summary>
    /// <exception cref="WsClientException">The server closed the connection mid-body, or the framing is malformed.</exception>
    public async ValueTask<bool> ReadBodyAsync(HttpBodyDecoder decoder, IBufferWriter<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        if (decoder.IsComplete)
        {
            return false;
        }

        if (_start == _end && !await ReceiveAsync(cancellationToken).ConfigureAwait(false))
        {
            if (decoder.EndsAtClose)
            {
                return false;
            }

            throw new WsClientException(ErrorKind.ClosedByServer, "The server closed the connection mid-body.");
        }

        _start += decoder.Decode(_buffer.AsSpan(_start, _end - _start), body);
        return !decoder.IsComplete;
    }

    /// <summary>Reads a whole response: its head, and its body into <paramref name="body"/>.</summary>
    public async ValueTask<HttpResponseHead> ReadResponseAsync(IBufferWriter<byte> body, CancellationToken cancellationToken = default)
    {
        HttpResponseHead head = await ReadHeadAsync(cancellationToken).ConfigureAwait(false);
        HttpBodyDecoder decoder = HttpBodyDecoder.For(head);
        while (await ReadBodyAsync(decoder, body, cancellationToken).ConfigureAwait(false))
        {
        }

        return head;
    }

    /// <summary>Drops the connection at once.</summary>
    public void Dispose() => _socket.Dispose();

    /// <summary>
    /// Ends the connection: with a FIN after both directions are shut (<paramref name="reset"/> false), the way an
    /// HTTP client closes a connection it is done with, or with a RST (linger time 0), as a crashed peer does.
    /// </summary>
    public void Close(bool reset)
    {
        try
        {
            if (reset)
            {
                _socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            }
            else
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
            // Already gone from the other side.
        }

        _socket.Dispose();
    }

    // Receives into the free end of the buffer (making room first); false when the server has closed.
    private async ValueTask<bool> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            else
            {
                // A head larger than the buffer: grow rather than fail.
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        int received = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        _stats.RecordBytesReceived(received);
        _end += received;
        return received > 0;
    }
}
