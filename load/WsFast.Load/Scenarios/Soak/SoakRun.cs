using System.Diagnostics;
using System.Globalization;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Load.Scenarios.Feed;
using WsFast.Load.Server;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>
/// Runs a soak: publishes every topic at a steady rate, starts the clients over the ramp-up, and then, once a
/// second until the end, samples the server and the clients' totals and tells the next share of the clients to
/// leave and reconnect, the way of leaving taken in turn (abrupt, reset, close handshake, mid-message).
/// </summary>
public sealed class SoakRun
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(10);

    private readonly SoakSettings _settings;
    private readonly ServerResourceProbe _probe;
    private readonly TextWriter _progress;

    /// <summary>Creates a soak of <paramref name="settings"/>, sampling the server through <paramref name="probe"/>.</summary>
    public SoakRun(SoakSettings settings, ServerResourceProbe probe, TextWriter progress)
    {
        _settings = settings;
        _probe = probe;
        _progress = progress;
    }

    /// <summary>Runs the soak to its end.</summary>
    public async Task<SoakResult> RunAsync()
    {
        var tally = new SoakTally();
        var clock = new RunClock();
        using var stopping = new CancellationTokenSource();
        var shared = new SoakShared(_settings, tally, clock, stopping.Token);
        SoakClient[] clients = MakeClients(shared);

        // The feed runs first, so that every topic has a history and a sequence number before anyone polls it.
        var publishClock = new RunClock();
        publishClock.StartMeasuring();
        var publishers = new List<FeedPublisher>();
        for (int t = 0; t < _settings.Topics; t++)
        {
            var publisher = new FeedPublisher(new FeedSettings
            {
                Client = new WsClientOptions { Url = new Uri($"ws://{_settings.Authority}/"), Server = _settings.Server },
                Topic = _settings.TopicName(t),
                Rate = _settings.Rate,
                MessageSize = _settings.MessageSize,
            });
            await publisher.StartAsync(publishClock).ConfigureAwait(false);
            publishers.Add(publisher);
        }

        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);

        var samples = new List<SoakSample>();
        var started = Stopwatch.StartNew();
        var running = new Task[clients.Length];
        Task sampling = SampleAsync(clients, tally, clock, samples, started, stopping.Token);
        for (int i = 0; i < clients.Length; i++)
        {
            TimeSpan due = clients.Length > 1 ? _settings.RampUp * i / (clients.Length - 1) : TimeSpan.Zero;
            TimeSpan wait = due - started.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            running[i] = clients[i].RunAsync();
        }

        TimeSpan end = _settings.RampUp + _settings.Duration;
        if (end > started.Elapsed)
        {
            await Task.Delay(end - started.Elapsed).ConfigureAwait(false);
        }

        stopping.Cancel();
        await sampling.ConfigureAwait(false);
        bool stopped = await Task.WhenAll(running).WaitAsync(StopGrace).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default).ConfigureAwait(false);
        var publishing = new WorkerStats();
        foreach (FeedPublisher publisher in publishers)
        {
            publishing.AddErrors(await publisher.StopAsync().ConfigureAwait(false));
        }

        if (!stopped)
        {
            tally.Unexpect("clients still running after the stop", $"{StopGrace.TotalSeconds} s after it");
        }

        var healthy = new WorkerStats();
        var echoes = new WorkerStats();
        var byRole = new Dictionary<SoakRole, (int Clients, long Checked, long Lost, long Reordered)>();
        foreach (SoakClient client in clients)
        {
            if (client.Role == SoakRole.Echo)
            {
                echoes.Add(client.Stats);
            }
            else if (client.Role != SoakRole.SlowConsumer)
            {
                healthy.Add(client.Stats);
            }

            var (n, c, l, r) = byRole.GetValueOrDefault(client.Role);
            byRole[client.Role] = (n + 1, c + client.Feed.Checked, l + client.Feed.Lost, r + client.Feed.Reordered);
        }

        return new SoakResult(_settings, samples, tally, byRole, healthy, echoes, publishing.TotalErrors, _probe.Pid);
    }

    private SoakClient[] MakeClients(SoakShared shared)
    {
        var clients = new SoakClient[_settings.Clients];
        int slow = 0;
        for (int i = 0; i < clients.Length; i++)
        {
            SoakRole role = _settings.RoleOf(i);
            if (role == SoakRole.Broadcast && slow < _settings.SlowConsumers)
            {
                role = SoakRole.SlowConsumer;
                slow++;
            }

            clients[i] = role switch
            {
                SoakRole.Echo => new EchoSoakClient(i, shared),
                SoakRole.Broadcast => new BroadcastSoakClient(i, shared),
                SoakRole.EventStream => new EventStreamSoakClient(i, shared),
                SoakRole.Poll => new PollSoakClient(i, shared),
                _ => new SlowConsumerSoakClient(i, shared),
            };
        }

        return clients;
    }

    // Once a second until the stop: a sample, then (after the ramp-up) the churn's next share of clients.
    private async Task SampleAsync(SoakClient[] clients, SoakTally tally, RunClock clock, List<SoakSample> samples, Stopwatch started, CancellationToken stopping)
    {
        // The churn goes through the clients in a fixed shuffled order, so each is churned about as often as any
        // other and a burst never hits neighbours only (who share a topic and a source address pattern).
        var order = new List<int>();
        for (int i = 0; i < clients.Length; i++)
        {
            if (clients[i].Role != SoakRole.SlowConsumer)
            {
                order.Add(i);
            }
        }

        int[] churnable = [.. order];
        new Random(14).Shuffle(churnable);
        int perSecond = (int)Math.Round(_settings.ChurnPerSecond * churnable.Length);
        int next = 0;
        long told = 0;
        TimeSpan measureFrom = _settings.RampUp + _settings.WarmUp;
        TimeSpan lastProgress = TimeSpan.Zero;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                ServerResources server = await _probe.SampleAsync().ConfigureAwait(false);
                SoakSample sample = Sum(clients, tally, server, started.Elapsed.TotalSeconds);
                samples.Add(sample);
                if (started.Elapsed >= measureFrom && !clock.IsMeasuring)
                {
                    clock.StartMeasuring();
                }

                if (started.Elapsed >= _settings.RampUp)
                {
                    for (int k = 0; k < perSecond && churnable.Length > 0; k++)
                    {
                        clients[churnable[next]].RequestChurn((DisconnectKind)(told++ % 4));
                        next = (next + 1) % churnable.Length;
                    }
                }

                if (started.Elapsed - lastProgress >= ProgressEvery)
                {
                    lastProgress = started.Elapsed;
                    _progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"soak {sample.ElapsedSeconds,5:0} s: {sample.ClientsConnected:N0} connected, server {sample.Server.Connections:N0} connections, RSS {sample.Server.RssBytes / 1048576.0:0.0} MiB, GC heap {sample.Server.GcHeapBytes / 1048576.0:0.0} MiB, pinned {sample.Server.PinnedBytes / 1048576.0:0.0} MiB, {sample.Server.FileDescriptors} fds, {sample.Server.Threads} threads; {sample.Reconnects:N0} reconnects, {sample.Checked:N0} checked, {sample.Lost} lost, {sample.Reordered} reordered, {sample.Unexpected} unexpected"));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The soak is over.
        }
    }

    private static SoakSample Sum(SoakClient[] clients, SoakTally tally, ServerResources server, double elapsed)
    {
        long connected = 0, checkedTotal = 0, lost = 0, reordered = 0, echoes = 0;
        foreach (SoakClient client in clients)
        {
            connected += client.IsConnected ? 1 : 0;
            echoes += client.Echoes;
            if (client.Role != SoakRole.SlowConsumer)
            {
                checkedTotal += client.Feed.Checked;
                lost += client.Feed.Lost;
                reordered += client.Feed.Reordered;
            }
        }

        return new SoakSample(elapsed, server, connected, tally.TotalReconnects, checkedTotal, lost, reordered, echoes, tally.Unexpected);
    }
}
