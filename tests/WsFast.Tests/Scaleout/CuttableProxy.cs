using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// A TCP relay on a free loopback port to a Redis, standing for the network between one node and Redis: <see cref="Cut"/>
/// ends every relayed connection and turns new ones away (closed at once) until <see cref="Restore"/>, while the
/// other nodes, connected to Redis directly, go on.
/// </summary>
internal sealed class CuttableProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<Socket, bool> _sockets = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;

    private CuttableProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>A relay to the Redis at <paramref name="redis"/> (<c>127.0.0.1:PORT</c>).</summary>
    public static CuttableProxy To(string redis) =>
        new(int.Parse(redis.AsSpan(redis.LastIndexOf(':') + 1), CultureInfo.InvariantCulture));

    /// <summary>The relay's address, as a StackExchange.Redis configuration string.</summary>
    public string Configuration => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Ends every relayed connection, and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (Socket socket in _sockets.Keys)
        {
            Close(socket);
        }
    }

    /// <summary>Relays new connections again.</summary>
    public void Restore() => _cut = false;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_cut)
            {
                Close(client);
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var redis = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _sockets[client] = true;
        _sockets[redis] = true;
        try
        {
            if (_cut)
            {
                return; // cut while this connection was being accepted
            }

            await redis.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _targetPort), _stop.Token);
            await Task.WhenAny(PumpAsync(client, redis), PumpAsync(redis, client));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Close(client);
            Close(redis);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private void Close(Socket socket)
    {
        _sockets.TryRemove(socket, out _);
        socket.Dispose();
    }
}
