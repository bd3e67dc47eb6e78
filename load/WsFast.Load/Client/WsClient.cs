using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using WsFast.Load.Engine;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;

namespace WsFast.Load.Client;

/// <summary>
/// A lean WebSocket client for load: one raw socket with async I/O, a fixed receive buffer parsed in place by
/// <see cref="FrameReader"/>, and a send buffer that frames are masked into. There is no thread per client and
/// no per-message allocation: the async methods use pooled builders, and the socket's own awaitable
/// operations are reused.
/// </summary>
/// <remarks>
/// <para>
/// One caller at a time: a scenario reads with <see cref="TryReadMessage"/> until it returns false, then awaits
/// <see cref="ReceiveMoreAsync"/>, and sends from the same flow.
/// </para>
/// <para>
/// With <see cref="WsClientOptions.Deflate"/> the client offers permessage-deflate as Chromium does. A compressed
/// message is inflated as its frames arrive, into the same message buffer, by an inflater made at the first one
/// and kept (reset after each message only when the server agreed <c>server_no_context_takeover</c>, as its
/// messages may refer back into earlier ones otherwise); what the client sends is compressed when it shrinks.
/// </para>
/// <para>
/// With <see cref="WsClientOptions.Tls"/> (a wss:// URL) an <see cref="SslStream"/> runs over the socket, its
/// handshake part of <see cref="ConnectAsync"/>; every read and write goes through it. Without, the socket is read
/// and written directly, as before TLS existed: the only cost TLS adds to the plain path is one null check per
/// read and per send.
/// </para>
/// </remarks>
internal sealed class WsClient : IDisposable
{
    // Linux's IP_BIND_ADDRESS_NO_PORT (level SOL_IP): bind picks the source address only, and the port is
    // chosen at connect, per destination, so each source address offers the whole ephemeral range.
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;

    private static readonly byte[] NormalClosure = [0x03, 0xE8];

    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly byte[] _receive;
    private readonly byte[] _control = new byte[FrameReader.MaxControlPayload];
    private readonly long _maxMessageSize;
    private readonly bool _offerDeflate;
    private byte[] _send;
    private byte[] _compressed = [];
    private MessageInflater? _inflater;
    private MessageDeflater? _deflater;
    private byte[] _message;
    private int _start;
    private int _end;
    private int _messageLength;
    private int _wireBytes;
    private FrameReader _reader;
    private MaskingKeys _keys = new();

    private WsClient(Socket socket, SslStream? tls, WsClientOptions options, int expectedPayload)
    {
        _socket = socket;
        _tls = tls;
        // Whatever the buffer size, a partly received header or control frame (at most 141 bytes) must fit.
        _receive = new byte[Math.Max(256, options.ReceiveBufferSize)];
        _maxMessageSize = options.MaxMessageSize;
        _offerDeflate = options.Deflate;
        _message = new byte[Math.Max(16, expectedPayload)];
        _send = new byte[ClientFrames.FrameSize(Math.Max(FrameReader.MaxControlPayload, expectedPayload))];
        _reader = NewReader(allowRsv1: false);
    }

    /// <summary>What the server agreed to when it accepted permessage-deflate; null when it was not offered or declined.</summary>
    public DeflateAgreement? Deflate { get; private set; }

    /// <summary>The TLS protocol and cipher suite agreed (e.g. <c>Tls13 TLS_AES_256_GCM_SHA384</c>); null without TLS.</summary>
    public string? TlsAgreement => _tls is null ? null : $"{_tls.SslProtocol} {_tls.NegotiatedCipherSuite}";

    /// <summary>Opens the TCP connection, performs the TLS handshake when asked, then the WebSocket upgrade.</summary>
    /// <exception cref="WsClientException">Connecting or a handshake failed.</exception>
    public static async Task<WsClient> ConnectAsync(WsClientOptions options, int clientIndex, int expectedPayload, CancellationToken cancellationToken)
    {
        var socket = new Socket(options.Server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (options.SocketReceiveBufferSize is int window)
        {
            // Before connect, so that the window advertised in the handshake is already the small one.
            socket.ReceiveBufferSize = window;
        }

        try
        {
            IPAddress? source = options.SourceAddressFor(clientIndex);
            if (source is not null)
            {
                if (OperatingSystem.IsLinux())
                {
                    socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
                }

                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(options.Server, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new WsClientException(ErrorKind.ConnectFailed, $"Cannot connect to {options.Server}: {e.SocketErrorCode}.");
        }

        SslStream? tls = null;
        if (options.Tls is { } tlsOptions)
        {
            tls = await TlsHandshakeAsync(socket, tlsOptions, cancellationToken).ConfigureAwait(false);
        }

        var client = new WsClient(socket, tls, options, expectedPayload);
        try
        {
            await client.HandshakeAsync(options.Url, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // A reset or a closed connection during the upgrade (IOException: through TLS).
            client.Dispose();
            throw new WsClientException(ErrorKind.HandshakeFailed, $"The connection failed during the upgrade: {e.Message}");
        }
        catch
        {
            client.Dispose();
            throw;
        }

        return client;
    }

    /// <summary>Decodes the next whole message or control frame already received, if there is one.</summary>
    /// <exception cref="WsClientException">The server broke the protocol.</exception>
    public bool TryReadMessage(out WsMessage message)
    {
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_receive, _start, _end - _start);
            FrameReadStatus status = _reader.Read(ref buffer, out FrameChunk chunk);
            int consumedTo = _end - (int)buffer.Length;
            _wireBytes += consumedTo - _start;
            _start = consumedTo;
            switch (status)
            {
                case FrameReadStatus.NeedMoreData:
                    message = default;
                    return false;
                case FrameReadStatus.Error:
                    throw new WsClientException(ErrorKind.ProtocolViolation, $"The server broke the protocol: {_reader.Error}.");
                case FrameReadStatus.Control:
                    int length = (int)chunk.Payload.Length;
                    chunk.Payload.CopyTo(_control);
                    message = new WsMessage(chunk.Opcode, _control.AsMemory(0, length), TakeWireBytes());
                    return true;
                default:
                    if (chunk.IsCompressed)
                    {
                        foreach (ReadOnlyMemory<byte> segment in chunk.Payload)
                        {
                            Inflate(segment.Span);
                        }
                    }
                    else
                    {
                        Append(chunk.Payload);
                    }

                    if (chunk.IsMessageEnd)
                    {
                        if (chunk.IsCompressed)
                        {
                            EndInflatedMessage(chunk.Opcode);
                        }

                        message = new WsMessage(chunk.Opcode, _message.AsMemory(0, _messageLength), TakeWireBytes(), chunk.IsCompressed);
                        _messageLength = 0;
                        return true;
                    }

                    break;
            }
        }
    }

    /// <summary>Waits for more bytes from the server.</summary>
    /// <exception cref="WsClientException">The server closed the TCP connection.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReceiveMoreAsync(CancellationToken cancellationToken = default)
    {
        MakeRoom();
        int received = await ReadAsync(_receive.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (received == 0)
        {
            throw new WsClientException(ErrorKind.ClosedByServer, "The server closed the connection.");
        }

        _end += received;
    }

    /// <summary>
    /// Sends one whole message or control frame, masked, and compressed when deflate was agreed and that shrinks
    /// it; returns the bytes it took on the wire.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendAsync(Opcode opcode, ReadOnlyMemory<byte> payload)
    {
        bool compressed = false;
        if (Deflate is DeflateAgreement agreement && !opcode.IsControl() && !payload.IsEmpty)
        {
            int length = Compress(agreement, payload);
            if (length >= 0)
            {
                payload = _compressed.AsMemory(0, length);
                compressed = true;
            }
        }

        int size = ClientFrames.FrameSize(payload.Length);
        if (_send.Length < size)
        {
            _send = new byte[size];
        }

        ClientFrames.Write(_send, opcode, payload.Span, _keys.Next(), compressed);
        if (_tls is not null)
        {
            await _tls.WriteAsync(_send.AsMemory(0, size)).ConfigureAwait(false);
            return size;
        }

        int sent = 0;
        while (sent < size)
        {
            sent += await _socket.SendAsync(_send.AsMemory(sent, size - sent), SocketFlags.None).ConfigureAwait(false);
        }

        return size;
    }

    /// <summary>Answers a ping with a pong carrying its payload (section 5.5.3).</summary>
    public ValueTask<int> PongAsync(in WsMessage ping) => SendAsync(Opcode.Pong, ping.Payload);

    /// <summary>
    /// The close handshake from the client side: sends a 1000 close, skips whatever arrives until the server's
    /// close, then waits for the server to end the TCP connection (so the server, not the client, keeps the
    /// TIME_WAIT, as section 7.1.1 expects).
    /// </summary>
    public async Task CloseAsync()
    {
        await SendAsync(Opcode.Close, NormalClosure).ConfigureAwait(false);
        try
        {
            while (true)
            {
                while (TryReadMessage(out WsMessage message))
                {
                    if (message.Opcode == Opcode.Close)
                    {
                        ServerCloseCode = message.Payload.Length >= 2 ? (message.Payload.Span[0] << 8) | message.Payload.Span[1] : 0;
                        // Anything after the close is not read; wait for the end of the stream.
                        _start = _end = 0;
                        while (await ReadAsync(_receive, CancellationToken.None).ConfigureAwait(false) > 0)
                        {
                        }

                        return;
                    }
                }

                await ReceiveMoreAsync().ConfigureAwait(false);
            }
        }
        catch (WsClientException e) when (e.Kind == ErrorKind.ClosedByServer)
        {
            // The server ended the connection without its close frame: closed all the same.
        }
    }

    /// <summary>The status code of the close frame the server sent last (section 7.1.5), or 0 when none came or it had none.</summary>
    public int ServerCloseCode { get; private set; }

    /// <summary>Drops the connection at once (used when a clean close takes too long).</summary>
    public void Abort() => _socket.Dispose();

    /// <summary>
    /// Ends the connection without a close frame: with a FIN (<paramref name="reset"/> false), as a process that
    /// exits leaves it, or with a RST (linger time 0), as a crashed peer or a middlebox does.
    /// </summary>
    public void Drop(bool reset)
    {
        try
        {
            if (reset)
            {
                _socket.LingerState = new LingerOption(true, 0);
            }
            else
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
            // Already gone from the other side: dropped all the same.
        }

        _socket.Dispose();
    }

    /// <summary>
    /// Sends the first half of a masked text frame of <paramref name="payload"/> (its header and part of its
    /// payload, never the rest) and resets the connection: the server is left with a frame cut in the middle.
    /// </summary>
    public async Task DropMidFrameAsync(ReadOnlyMemory<byte> payload)
    {
        int size = ClientFrames.FrameSize(payload.Length);
        if (_send.Length < size)
        {
            _send = new byte[size];
        }

        ClientFrames.Write(_send, Opcode.Text, payload.Span, _keys.Next());
        int half = size - (payload.Length / 2) - 1; // the header and less than half of the payload
        try
        {
            int sent = 0;
            while (sent < half)
            {
                sent += await _socket.SendAsync(_send.AsMemory(sent, half - sent), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (SocketException)
        {
            // The server went first: the drop below is all that is left.
        }

        Drop(reset: true);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _tls?.Dispose();
        _socket.Dispose();
        _inflater?.Dispose();
        _deflater?.Dispose();
    }

    private async Task HandshakeAsync(Uri url, CancellationToken cancellationToken)
    {
        string key = UpgradeHandshake.NewKey();
        byte[] request = UpgradeHandshake.BuildRequest(url, key, _offerDeflate);
        if (_tls is not null)
        {
            await _tls.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            if (_end == _receive.Length)
            {
                throw new WsClientException(ErrorKind.HandshakeFailed, "The server's response head does not fit the receive buffer.");
            }

            int received = await ReadAsync(_receive.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                throw new WsClientException(ErrorKind.HandshakeFailed, "The server closed the connection during the handshake.");
            }

            _end += received;
            int head = UpgradeHandshake.ReadResponse(_receive.AsSpan(0, _end), key, out string? extensions);
            if (head > 0)
            {
                AcceptExtensions(extensions);
                _start = head; // any bytes after the head are already frames
                return;
            }
        }
    }

    // The TLS handshake over a connected socket (which the stream does not own: Dispose and Abort close it).
    // Failures become TlsFailed, the socket closed: a certificate refused, a protocol or cipher not agreed, the
    // server closing mid-handshake.
    private static async Task<SslStream> TlsHandshakeAsync(Socket socket, SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw new WsClientException(ErrorKind.TlsFailed, $"TLS handshake with {options.TargetHost} failed: {e.Message}");
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    // One read from the server: through TLS when there is TLS, else from the socket itself. Not async, so the
    // plain path costs one branch, not a state machine.
    private ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) : _tls.ReadAsync(buffer, cancellationToken);

    // Section 5.1: a client fails the connection on an extension it did not offer or a response it cannot accept.
    private void AcceptExtensions(string? extensions)
    {
        if (extensions is not null && !_offerDeflate)
        {
            throw new WsClientException(ErrorKind.HandshakeFailed, $"Handshake refused: the server agreed to extensions that were not offered ('{extensions}').");
        }

        try
        {
            if (DeflateResponse.TryRead(extensions, out DeflateAgreement? agreement))
            {
                Deflate = agreement;
                _reader = NewReader(allowRsv1: true);
            }
        }
        catch (FormatException e)
        {
            throw new WsClientException(ErrorKind.HandshakeFailed, $"Handshake refused: {e.Message}.");
        }
    }

    private FrameReader NewReader(bool allowRsv1) => new(new FrameReaderOptions
    {
        IsServer = false,
        MaxMessagePayload = _maxMessageSize,
        MaxFramePayload = _maxMessageSize,
        AllowRsv1 = allowRsv1,
    });

    // Inflates a piece of a compressed message onto the message so far, growing the buffer while zlib fills it.
    private void Inflate(ReadOnlySpan<byte> input)
    {
        _inflater ??= MessageInflater.Create(Deflate!.Value.ServerMaxWindowBits)
            ?? throw new WsClientException(ErrorKind.ProtocolViolation, "A compressed message arrived and no system zlib (libz.so.1) was found to inflate it.");
        while (true)
        {
            if (_messageLength == _message.Length)
            {
                Grow(_messageLength + 1);
            }

            Span<byte> room = _message.AsSpan(_messageLength);
            InflateStatus status = _inflater.Inflate(input, room, out int consumed, out int written);
            _messageLength += written;
            input = input.Slice(consumed);
            if (status == InflateStatus.Invalid)
            {
                throw new WsClientException(ErrorKind.ProtocolViolation, "The server sent a compressed message that does not inflate (bad DEFLATE, or a match beyond the agreed window).");
            }

            // Done when zlib took everything and stopped short of filling the room (a full room may hide more).
            if (status == InflateStatus.End || (input.IsEmpty && written < room.Length))
            {
                return;
            }
        }
    }

    // Section 7.2.2: the sender left off the sync flush's 00 00 ff ff; inflating it back completes the message.
    private void EndInflatedMessage(Opcode opcode)
    {
        Inflate(MessageDeflater.Tail);
        if (Deflate!.Value.ServerNoContextTakeover || _inflater!.Ended)
        {
            _inflater!.Reset();
        }

        // The frame reader leaves compressed text unchecked: it is UTF-8 only once inflated.
        if (opcode == Opcode.Text && !System.Text.Unicode.Utf8.IsValid(_message.AsSpan(0, _messageLength)))
        {
            throw new WsClientException(ErrorKind.ProtocolViolation, "The server sent a compressed text message that is not UTF-8.");
        }
    }

    // Compresses a message to send into _compressed; -1 when it does not shrink (it then goes out as it is).
    private int Compress(DeflateAgreement agreement, ReadOnlyMemory<byte> payload)
    {
        // Chromium's compressor: zlib's default level and memory level, the agreed window, context kept unless
        // the server asked for client_no_context_takeover.
        _deflater ??= MessageDeflater.Create(level: 6, agreement.ClientMaxWindowBits, memoryLevel: 8, keepsContext: !agreement.ClientNoContextTakeover);
        if (_deflater is null)
        {
            return -1;
        }

        int limit = MessageDeflater.MaxOutput(payload.Length);
        if (_compressed.Length < limit)
        {
            _compressed = new byte[limit];
        }

        return _deflater.Compress(new ReadOnlySequence<byte>(payload), _compressed.AsSpan(0, limit));
    }

    private void Grow(int needed)
    {
        if (needed > _maxMessageSize)
        {
            throw new WsClientException(ErrorKind.ProtocolViolation, $"A message inflated beyond the {_maxMessageSize} bytes accepted.");
        }

        Array.Resize(ref _message, (int)Math.Min(_maxMessageSize, Math.Max(needed, 2L * _message.Length)));
    }

    private void MakeRoom()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _receive.Length)
        {
            // Only a partial header or control frame is ever left over: payload is handed out as it arrives.
            _receive.AsSpan(_start, _end - _start).CopyTo(_receive);
            _end -= _start;
            _start = 0;
        }
    }

    private void Append(ReadOnlySequence<byte> payload)
    {
        int needed = _messageLength + (int)payload.Length;
        if (needed > _message.Length)
        {
            Array.Resize(ref _message, (int)Math.Min(_maxMessageSize, Math.Max(needed, 2L * _message.Length)));
        }

        payload.CopyTo(_message.AsSpan(_messageLength));
        _messageLength = needed;
    }

    private int TakeWireBytes()
    {
        int bytes = _wireBytes;
        _wireBytes = 0;
        return bytes;
    }
}
