using System.Text;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;
using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// What the HTTP feed scenarios (<c>sse</c>, <c>poll-long</c>, <c>poll-short</c>) share: open the client's
/// connection, build its GET requests, and turn each failure into an error count of the right kind.
/// </summary>
internal static class HttpFeedClient
{
    /// <summary>
    /// A GET of <paramref name="pathAndQuery"/>: with <see cref="FeedSettings.BrowserHeaders"/>, as Chromium sends
    /// it (by <c>EventSource</c> when <paramref name="eventSource"/>, else by <c>fetch()</c>); otherwise only Host
    /// and <paramref name="accept"/>.
    /// </summary>
    public static byte[] Get(FeedSettings settings, string pathAndQuery, string accept, bool eventSource = false) =>
        Encoding.ASCII.GetBytes(settings.BrowserHeaders
            ? BrowserRequestHeaders.Get(settings.Authority, pathAndQuery, eventSource)
            : $"GET {pathAndQuery} HTTP/1.1\r\nHost: {settings.Authority}\r\nAccept: {accept}\r\n\r\n");

    /// <summary>Connects, runs <paramref name="work"/>, then drops the connection; never throws for a client failure.</summary>
    public static async Task RunAsync(ClientContext context, FeedSettings settings, Func<HttpConnection, Task> work)
    {
        HttpConnection connection;
        try
        {
            connection = await HttpConnection.ConnectAsync(
                settings.Client.Server, settings.Client.SourceAddressFor(context.ClientIndex), context.Stats, 4096, context.Aborting).ConfigureAwait(false);
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

        using (connection)
        {
            try
            {
                await work(connection).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested)
            {
                // The run is over; a request still waiting (a long poll, the event stream) is dropped with the connection.
            }
            catch (WsClientException e) when (!context.Stopping.IsCancellationRequested)
            {
                context.Stats.RecordError(e.Kind);
            }
            catch (WsClientException)
            {
                // Failing while the run stops (the server ending a stream we were leaving) is no error.
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                if (!context.Stopping.IsCancellationRequested)
                {
                    context.Stats.RecordError(ErrorKind.SocketError);
                }
            }
        }
    }
}
