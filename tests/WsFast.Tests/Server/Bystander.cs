using System.Net.WebSockets;
using System.Text;

namespace WsFast.Tests.Server;

/// <summary>
/// A well-behaved client (.NET's own) kept open on <c>/echo</c> while a test misbehaves on another
/// connection, to show that one bad client costs the others nothing.
/// </summary>
public sealed class Bystander : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly ClientWebSocket _client;
    private int _round;

    private Bystander(ClientWebSocket client) => _client = client;

    /// <summary>Connects to the server's echo endpoint and checks it echoes once.</summary>
    public static async Task<Bystander> ConnectAsync(TestServer server)
    {
        var bystander = new Bystander(await server.ConnectAsync("/echo"));
        await bystander.AssertStillServedAsync();
        return bystander;
    }

    /// <summary>Asserts a message still comes back, and the connection is still open.</summary>
    public async Task AssertStillServedAsync()
    {
        string text = $"still here {++_round}";
        using var timeout = new CancellationTokenSource(Timeout);
        await _client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[256];
        WebSocketReceiveResult result = await _client.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.True(result.EndOfMessage);
        Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, result.Count));
        Assert.Equal(WebSocketState.Open, _client.State);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        // Abort rather than close: the server under test is disposed next and ends the connection anyway.
        _client.Abort();
        _client.Dispose();
        return default;
    }
}
