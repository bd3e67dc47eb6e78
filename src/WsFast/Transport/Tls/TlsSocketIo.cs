using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace WsFast.Transport.Tls;

/// <summary>
/// TLS between a connection's loops and its socket: an <see cref="SslStream"/> over the engine's own
/// <see cref="SocketIo"/> (through <see cref="SocketIoStream"/>). The receive loop gets plaintext, the send loop
/// hands plaintext (a broadcast's shared frame is encrypted here, once per subscriber).
/// </summary>
/// <remarks>
/// <para>The handshake starts when a client is attached, on a thread-pool thread (its key exchange must not
/// hold the accepting thread); receives and sends wait for it. It runs under the HTTP request's deadline: a
/// client that stalls it is aborted like one that stalls its request, and the abort ends the handshake.</para>
/// <para>Idle memory. Waiting for data is a zero-byte read of the <see cref="SslStream"/>, which passes it on as
/// a zero-byte read of the socket and rents its buffers only once a record arrives, returning them when they
/// are empty: an idle TLS connection holds no receive buffer, as a plain one.</para>
/// <para>Errors. The loops expect <see cref="SocketError"/> values: a TLS failure (a bad record, an alert)
/// becomes <see cref="SocketError.ConnectionAborted"/>, a socket failure its own code, a local close
/// <see cref="SocketError.OperationAborted"/>.</para>
/// </remarks>
internal sealed class TlsSocketIo : SocketIo
{
    private readonly SocketIo _inner;
    private readonly TlsServerContext _context;
    private readonly SocketIoStream _stream;
    private readonly Func<Task<SocketError>> _handshakeAsync;
    private SslStream? _ssl;
    private Task<SocketError> _handshake = Task.FromResult(SocketError.NotConnected);
    private Socket? _socket;
    private int _received;
    private int _sent;

    public TlsSocketIo(SocketIo inner, TlsServerContext context)
    {
        _inner = inner;
        _context = context;
        _stream = new SocketIoStream(inner);
        _handshakeAsync = HandshakeAsync;
    }

    public override bool IsSecure => true;

    public override int BytesReceived => _received;

    public override int BytesSent => _sent;

    public override void Attach(Socket socket)
    {
        _inner.Attach(socket);
        _socket = socket;
        _stream.Reset();
        _ssl = new SslStream(_stream, leaveInnerStreamOpen: true);
        _handshake = Task.Run(_handshakeAsync);
    }

    // Both loops have ended, and the receive loop waited for the handshake first: nothing uses the stream now.
    public override void Detach()
    {
        _ssl?.Dispose();
        _ssl = null;
        _socket = null;
        _received = 0;
        _sent = 0;
        _inner.Detach();
    }

    public override void OnSocketClosed() => _inner.OnSocketClosed();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<SocketError> WaitForDataAsync()
    {
        SocketError handshake = await AfterHandshake();
        if (handshake != SocketError.Success)
        {
            return handshake;
        }

        try
        {
            // Returns 0 whether a record arrived (its plaintext now waits in the stream) or the peer closed; the
            // receive that follows tells them apart.
            await _ssl!.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
            return SocketError.Success;
        }
        catch (Exception e)
        {
            return ToSocketError(e);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<SocketError> ReceiveAsync(Memory<byte> buffer)
    {
        _received = 0;
        SocketError handshake = await AfterHandshake();
        if (handshake != SocketError.Success)
        {
            return handshake;
        }

        try
        {
            _received = await _ssl!.ReadAsync(buffer).ConfigureAwait(false);
            return SocketError.Success;
        }
        catch (Exception e)
        {
            return ToSocketError(e);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<SocketError> SendAsync(ReadOnlyMemory<byte> buffer)
    {
        _sent = 0;
        SocketError handshake = await AfterHandshake();
        if (handshake != SocketError.Success)
        {
            return handshake;
        }

        try
        {
            await _ssl!.WriteAsync(buffer).ConfigureAwait(false);
            _sent = buffer.Length;
            return SocketError.Success;
        }
        catch (Exception e)
        {
            return ToSocketError(e);
        }
    }

    // In order, one write per segment. The send loop gathers only buffers too large to copy together (over one
    // 4 KiB block in all), so each write still fills a good part of a TLS record.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<SocketError> SendAsync(List<ArraySegment<byte>> buffers)
    {
        _sent = 0;
        SocketError handshake = await AfterHandshake();
        if (handshake != SocketError.Success)
        {
            return handshake;
        }

        try
        {
            int sent = 0;
            for (int i = 0; i < buffers.Count; i++)
            {
                await _ssl!.WriteAsync(buffers[i].AsMemory()).ConfigureAwait(false);
                sent += buffers[i].Count;
            }

            _sent = sent;
            return SocketError.Success;
        }
        catch (Exception e)
        {
            return ToSocketError(e);
        }
    }

    // RFC 8446 section 6.1: close_notify before the FIN, so that the peer can tell our end from a truncation.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<SocketError> BeforeShutdownAsync()
    {
        if (!_handshake.IsCompletedSuccessfully || _handshake.Result != SocketError.Success)
        {
            return SocketError.Success;
        }

        try
        {
            await _ssl!.ShutdownAsync().ConfigureAwait(false);
            return SocketError.Success;
        }
        catch (Exception e)
        {
            return ToSocketError(e);
        }
    }

    private static SocketError ToSocketError(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode;
            }

            if (e is ObjectDisposedException)
            {
                return SocketError.OperationAborted;
            }
        }

        return SocketError.ConnectionAborted;
    }

    // The common case, a handshake long done, costs a field read and no await.
    private ValueTask<SocketError> AfterHandshake()
    {
        Task<SocketError> handshake = _handshake;
        return handshake.IsCompletedSuccessfully ? new ValueTask<SocketError>(handshake.Result) : new ValueTask<SocketError>(handshake);
    }

    private async Task<SocketError> HandshakeAsync()
    {
        try
        {
            await _ssl!.AuthenticateAsServerAsync(_context.SelectOptions, null, CancellationToken.None).ConfigureAwait(false);
            return SocketError.Success;
        }
        catch (Exception e)
        {
            SocketError error = ToSocketError(e);
            if (error != SocketError.OperationAborted)
            {
                _context.OnHandshakeFailed(RemoteEndPoint(), e);
            }

            // A failed handshake is a broken connection, never a clean end: the receive loop aborts it.
            return error == SocketError.Success ? SocketError.ConnectionAborted : error;
        }
    }

    private EndPoint? RemoteEndPoint()
    {
        try
        {
            return _socket?.RemoteEndPoint;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            return null;
        }
    }
}
