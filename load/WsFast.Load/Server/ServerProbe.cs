using System.Net.Security;
using WsFast.Load.Engine;

namespace WsFast.Load.Server;

/// <summary>
/// Samples the server process (by PID, through /proc) and its <c>/healthz</c> at each phase of a run. Works
/// without a PID too, with only the <c>/healthz</c> counters.
/// </summary>
public sealed class ServerProbe : IRunProbe, IDisposable
{
    private readonly int? _pid;
    private readonly Uri _healthBase;
    private readonly HttpClient _http;
    private readonly Dictionary<RunPhase, ServerSample> _samples = [];

    /// <summary>
    /// Creates a probe of process <paramref name="pid"/> serving <c>/healthz</c> at <paramref name="healthBase"/>,
    /// checking an https:// server as <paramref name="tls"/> says (its target host aside, which is the URL's).
    /// </summary>
    public ServerProbe(int? pid, Uri healthBase, SslClientAuthenticationOptions? tls = null)
    {
        _pid = pid;
        _healthBase = healthBase;
        var handler = new SocketsHttpHandler();
        if (tls is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = tls.CertificateChainPolicy,
                RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
            };
        }

        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>The server's PID, when known.</summary>
    public int? Pid => _pid;

    /// <summary>The sample taken at <paramref name="phase"/>, if any.</summary>
    public ServerSample? this[RunPhase phase] => _samples.GetValueOrDefault(phase);

    /// <summary>The server's CPU time (user plus system) during the window; null without a PID or when it could not be read at both ends.</summary>
    public TimeSpan? WindowCpu =>
        this[RunPhase.WindowStart] is { RssBytes: >= 0 } start && this[RunPhase.WindowEnd] is { RssBytes: >= 0 } end ? end.CpuTime - start.CpuTime : null;

    /// <inheritdoc/>
    public async Task SampleAsync(RunPhase phase)
    {
        long rss = -1;
        TimeSpan cpu = TimeSpan.Zero;
        TimeSpan kernel = TimeSpan.Zero;
        if (_pid is int pid)
        {
            try
            {
                rss = ProcFs.ReadRssBytes(pid);
                (TimeSpan user, kernel) = ProcFs.ReadCpuTimes(pid);
                cpu = user + kernel;
            }
            catch (IOException)
            {
                // The server is gone; the report shows the figures as missing.
            }
        }

        HealthSnapshot? health = null;
        try
        {
            health = await HealthSnapshot.FetchAsync(_http, _healthBase).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            // No /healthz: CPU and memory still count.
        }

        Record(phase, new ServerSample(rss, cpu, health) { KernelCpuTime = kernel });
    }

    /// <summary>Stores <paramref name="sample"/> as the one taken at <paramref name="phase"/>.</summary>
    internal void Record(RunPhase phase, ServerSample sample) => _samples[phase] = sample;

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
