namespace WsFast.Load.Server;

/// <summary>Reads <see cref="ServerResources"/> of one server process: by PID through /proc, and its <c>/healthz?details</c>.</summary>
public sealed class ServerResourceProbe : IDisposable
{
    private readonly int? _pid;
    private readonly Uri _healthBase;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>Creates a probe of process <paramref name="pid"/> (none: /healthz only) serving <c>/healthz</c> at <paramref name="healthBase"/>.</summary>
    public ServerResourceProbe(int? pid, Uri healthBase)
    {
        _pid = pid;
        _healthBase = healthBase;
    }

    /// <summary>The server's PID, when known.</summary>
    public int? Pid => _pid;

    /// <summary>Reads the figures now; those that cannot be read are -1.</summary>
    public async Task<ServerResources> SampleAsync()
    {
        long rss = -1, threads = -1, fds = -1;
        if (_pid is int pid)
        {
            try
            {
                rss = ProcFs.ReadRssBytes(pid);
                threads = ProcFs.ReadThreadCount(pid);
                fds = ProcFs.CountFileDescriptors(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The server is gone: the samples show it as missing, which fails the soak.
            }
        }

        HealthSnapshot? health = null;
        try
        {
            health = await HealthSnapshot.FetchAsync(_http, _healthBase).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            // Not answered within the timeout: a missing sample, not a stopped run.
        }

        return new ServerResources(rss, threads, fds, health?.Connections ?? -1, health?.GcHeapBytes ?? -1, health?.PinnedBytes ?? -1)
        {
            FullCollections = health?.FullCollections ?? -1,
        };
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
