using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Protocol;

namespace WsFast.Load.Scenarios;

/// <summary>
/// <c>ws-idle</c>: each client opens a connection and holds it without sending anything (it still answers
/// pings) until the run ends. It measures what an idle connection costs the server, and how long the clients
/// took to connect (<see cref="Connecting"/>).
/// </summary>
public sealed class IdleScenario : IScenario
{
    private readonly WsClientOptions _client;

    /// <summary>Creates the scenario.</summary>
    public IdleScenario(WsClientOptions client)
    {
        _client = client;
    }

    /// <inheritdoc/>
    public string Name => "ws-idle";

    /// <summary>From the first client's connect to the last one's handshake.</summary>
    public ConnectTiming Connecting { get; } = new();

    /// <inheritdoc/>
    public Task RunClientAsync(ClientContext context)
    {
        Connecting.Started();
        return ClientSession.RunAsync(context, _client, 0, HoldAsync);
    }

    private async Task HoldAsync(WsClient client, ClientContext context)
    {
        // The work starts once the handshake is done and the client marked ready.
        Connecting.Ready();
        try
        {
            while (true)
            {
                while (client.TryReadMessage(out WsMessage message))
                {
                    if (message.Opcode == Opcode.Ping)
                    {
                        await client.PongAsync(message).ConfigureAwait(false);
                    }
                    else if (message.Opcode == Opcode.Close)
                    {
                        throw new WsClientException(ErrorKind.ClosedByServer, "The server closed an idle connection.");
                    }
                    else if (!message.IsControl)
                    {
                        context.Stats.RecordReceived(message.WireBytes, message.Payload.Length, 0);
                    }
                }

                await client.ReceiveMoreAsync(context.Stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested)
        {
            // The run is over: the caller closes the connection.
        }
    }
}
