using System.Net.Sockets;
using WsFast.Load.Client;
using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios;

/// <summary>
/// The part every WebSocket scenario shares: connect, mark ready, run the scenario's work, close cleanly,
/// and turn each failure into an error count of the right kind.
/// </summary>
internal static class ClientSession
{
    /// <summary>Connects, runs <paramref name="work"/>, then closes; never throws for a client failure.</summary>
    public static async Task RunAsync(ClientContext context, WsClientOptions options, int expectedPayload, Func<WsClient, ClientContext, Task> work)
    {
        WsClient client;
        try
        {
            client = await WsClient.ConnectAsync(options, context.ClientIndex, expectedPayload, context.Aborting).ConfigureAwait(false);
        }
        catch (WsClientException e)
        {
            context.Stats.RecordError(e.Kind);
            return;
        }
        catch (OperationCanceledException)
        {
            context.Stats.RecordError(ErrorKind.ConnectFailed);
            return;
        }

        if (client.Deflate is { } agreement)
        {
            context.Stats.RecordDeflate(agreement.ToHeaderValue());
        }

        if (client.TlsAgreement is { } tls)
        {
            context.Stats.RecordTls(tls);
        }

        using (client)
        using (context.Aborting.Register(static state => ((WsClient)state!).Abort(), client))
        {
            context.MarkReady();
            try
            {
                await work(client, context).ConfigureAwait(false);
                await client.CloseAsync().ConfigureAwait(false);
            }
            catch (WsClientException e)
            {
                context.Stats.RecordError(e.Kind);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                // A connection dropped because the clean close took too long is the runner's doing, not an error.
                // Over TLS a socket's failure comes as an IOException from the TLS stream.
                if (!context.Aborting.IsCancellationRequested)
                {
                    context.Stats.RecordError(ErrorKind.SocketError);
                }
            }
        }
    }
}
