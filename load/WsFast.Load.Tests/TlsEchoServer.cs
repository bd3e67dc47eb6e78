using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using WsFast.Protocol;

namespace WsFast.Load.Tests;

/// <summary>
/// A tiny wss:// echo server for the client's tests, on a free loopback port: each connection is a TLS handshake
/// with the given certificate (TLS 1.2 or 1.3), the WebSocket upgrade (any path), then every message echoed
/// unmasked until the client's close, which is answered; or, made with <c>resetAfterTls</c>, a connection reset (RST)
/// right after the TLS handshake. It counts the TLS handshakes that succeeded on its side and the upgrade requests
/// that came through them.
/// </summary>
internal sealed class TlsEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly bool _resetAfterTls;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _handshakes;
    private int _upgrades;

    public TlsEchoServer(X509Certificate2 certificate, bool resetAfterTls = false)
    {
        _certificate = certificate;
        _resetAfterTls = resetAfterTls;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>
    /// TLS handshakes completed on the server's side. A client checks the certificate once its side is done, so a
    /// handshake whose certificate the client then refuses counts here too.
    /// </summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    /// <summary>WebSocket upgrade requests received: only a client that accepted the server's certificate sends one.</summary>
    public int Upgrades => Volatile.Read(ref _upgrades);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(5));
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_connections)
                {
                    _connections.Add(ServeAsync(socket));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            return;
        }

        Interlocked.Increment(ref _handshakes);
        if (_resetAfterTls)
        {
            socket.LingerState = new LingerOption(enable: true, seconds: 0); // close sends RST
            socket.Close();
            return;
        }

        try
        {
            await EchoAsync(tls);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the server is stopping.
        }
    }

    private async Task EchoAsync(SslStream tls)
    {
        var buffer = new byte[64 * 1024];
        int length = 0;
        int head;
        while ((head = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            length += await ReadSomeAsync(tls, buffer.AsMemory(length));
        }

        Interlocked.Increment(ref _upgrades);
        string request = Encoding.ASCII.GetString(buffer, 0, head);
        string key = request.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
        await tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {AcceptKey.Compute(key)}\r\n\r\n"), _stop.Token);

        int start = head + 4;
        var reader = new FrameReader(new FrameReaderOptions { IsServer = true });
        var frame = new byte[buffer.Length + 16];
        while (true)
        {
            var pending = new ReadOnlySequence<byte>(buffer, start, length - start);
            FrameReadStatus status = reader.Read(ref pending, out FrameChunk chunk);
            if (status == FrameReadStatus.NeedMoreData)
            {
                buffer.AsSpan(start, length - start).CopyTo(buffer);
                length -= start;
                start = 0;
                length += await ReadSomeAsync(tls, buffer.AsMemory(length));
                continue;
            }

            Assert.True(status is FrameReadStatus.Data or FrameReadStatus.Control, $"the client broke the protocol: {reader.Error}");
            Assert.True(chunk.IsMessageEnd, "the tests send whole messages");
            int written = FrameWriter.WriteFrame(frame, chunk.Opcode, chunk.Payload.ToArray());
            start = length - (int)pending.Length;
            await tls.WriteAsync(frame.AsMemory(0, written), _stop.Token);
            if (chunk.Opcode == Opcode.Close)
            {
                return; // closed from the server's side once its close is sent (section 7.1.1)
            }
        }
    }

    private async Task<int> ReadSomeAsync(SslStream tls, Memory<byte> room)
    {
        int read = await tls.ReadAsync(room, _stop.Token);
        return read > 0 ? read : throw new IOException("the client closed the connection");
    }
}
