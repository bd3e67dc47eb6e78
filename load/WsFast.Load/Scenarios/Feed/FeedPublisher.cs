using System.Buffers;
using System.Diagnostics;
using System.Text;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;
using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// Publishes the feed: <c>POST /publish/{topic}</c> at a fixed rate over one persistent HTTP/1.1 connection,
/// one request at a time, each body a <see cref="FeedPayload"/> stamped just before it is sent. Its statistics
/// count requests as messages sent (published), slots it fell too far behind to send as missed, and failures.
/// </summary>
internal sealed class FeedPublisher
{
    // Falling further behind than this skips slots rather than publishing a burst.
    private static readonly TimeSpan MaxLag = TimeSpan.FromMilliseconds(100);

    private readonly FeedSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private WorkerStats _stats = new();
    private Task _loop = Task.CompletedTask;

    public FeedPublisher(FeedSettings settings) => _settings = settings;

    /// <summary>Connects and starts publishing; a failure to connect is counted, not thrown.</summary>
    public async Task StartAsync(RunClock clock)
    {
        _stats = new WorkerStats(clock);
        HttpConnection connection;
        try
        {
            connection = await HttpConnection.ConnectAsync(_settings.PublishServer ?? _settings.Client.Server, null, _stats, 4096, _stop.Token).ConfigureAwait(false);
        }
        catch (WsClientException e)
        {
            _stats.RecordError(e.Kind);
            return;
        }

        _loop = Task.Run(() => PublishAsync(connection));
    }

    /// <summary>Stops publishing (the request in flight completes) and returns the statistics.</summary>
    public async Task<WorkerStats> StopAsync()
    {
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        return _stats;
    }

    private async Task PublishAsync(HttpConnection connection)
    {
        using (connection)
        {
            byte[] head = Encoding.ASCII.GetBytes(
                $"POST /publish/{_settings.Topic} HTTP/1.1\r\n" +
                $"Host: {_settings.Authority}\r\n" +
                "Content-Type: text/plain; charset=utf-8\r\n" +
                "Content-Length: ");
            var request = new byte[head.Length + 32 + Math.Max(_settings.MessageSize, FeedPayload.MaxUnpaddedLength)];
            head.CopyTo(request, 0);
            var body = new byte[Math.Max(_settings.MessageSize, FeedPayload.MaxUnpaddedLength)];
            var response = new ArrayBufferWriter<byte>(256);
            var pace = new RateController(_settings.Rate, Stopwatch.GetTimestamp(), MaxLag);
            long sequence = 0;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    if (!pace.TryTake(RunClock.Now, out _, out long missed))
                    {
                        await pace.WaitAsync(_stop.Token).ConfigureAwait(false);
                        continue;
                    }

                    _stats.RecordMissed(missed);
                    int bodyLength = FeedPayload.Write(body, ++sequence, RunClock.Now, _settings.MessageSize, _settings.Ticks);
                    int length = head.Length;
                    length += Encoding.ASCII.GetBytes($"{bodyLength}\r\n\r\n", request.AsSpan(length));
                    body.AsSpan(0, bodyLength).CopyTo(request.AsSpan(length));
                    length += bodyLength;

                    _stats.RecordSent(await connection.SendAsync(request.AsMemory(0, length)).ConfigureAwait(false));
                    response.ResetWrittenCount();
                    HttpResponseHead answer = await connection.ReadResponseAsync(response).ConfigureAwait(false);
                    if (answer.Status != 200)
                    {
                        _stats.RecordError(ErrorKind.HttpFailed);
                    }

                    if (!answer.KeepAlive)
                    {
                        throw new WsClientException(ErrorKind.ClosedByServer, "The server closed the publishing connection.");
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopped while waiting for the next slot.
            }
            catch (WsClientException e)
            {
                _stats.RecordError(e.Kind);
            }
            catch (System.Net.Sockets.SocketException)
            {
                _stats.RecordError(ErrorKind.SocketError);
            }
        }
    }
}
