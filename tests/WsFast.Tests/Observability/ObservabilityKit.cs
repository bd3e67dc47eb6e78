using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsFast.Tests.Server;

namespace WsFast.Tests.Observability;

/// <summary>
/// A <see cref="WsFastServer"/> on 127.0.0.1 (the socket engine of <see cref="TestServer.Engine"/>) with
/// <c>/echo</c>, a meter factory of its own (so that a MeterListener can tell this server's instruments from those
/// of servers other tests run meanwhile), and optionally an admin port.
/// </summary>
internal sealed class ObservedServer : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ObservedServer(WsFastServer server, ServiceProvider services, IMeterFactory meters)
    {
        Server = server;
        _services = services;
        Meters = meters;
    }

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public WsFastServer Server { get; }

    /// <summary>The factory the server's meter comes from.</summary>
    public IMeterFactory Meters { get; }

    public int Port => Server.EndPoints[0].Port;

    public Uri Http(string path) => new($"http://127.0.0.1:{Port}{path}");

    public Uri Ws(string path) => new($"ws://127.0.0.1:{Port}{path}");

    public Uri Admin(string path) => new($"http://127.0.0.1:{Server.AdminEndPoints[0].Port}{path}");

    public static async Task<ObservedServer> StartAsync(
        Action<WsFastServerOptions>? configure = null, Action<WsFastServer>? map = null, ILoggerFactory? logging = null, bool admin = false)
    {
        ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        var options = new WsFastServerOptions { SocketEngine = TestServer.Engine };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        if (admin)
        {
            options.AdminEndpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        }

        configure?.Invoke(options);
        var server = new WsFastServer(options, logging, meters);
        server.Map("/echo", new TestServer.Echo());
        map?.Invoke(server);
        await server.StartAsync();
        return new ObservedServer(server, services, meters);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>A port nothing listens on now (bound and released), for the executable's flags.</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with <paramref name="what"/> after <see cref="Timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        DateTime until = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}

/// <summary>
/// Everything a MeterListener hears from the instruments of one meter factory's meters: the observable ones'
/// values when <see cref="Read"/> runs, and every histogram measurement since the listener started.
/// </summary>
internal sealed class FactoryMeterReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, double> _observed = [];
    private readonly Dictionary<string, (long Count, double Sum)> _histograms = [];
    private readonly Lock _lock = new();

    public FactoryMeterReader(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory)
            {
                Instruments.Add(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The instruments heard of.</summary>
    public List<Instrument> Instruments { get; } = [];

    /// <summary>Reads the observable instruments now: values keyed as <c>name|key=value</c>.</summary>
    public Dictionary<string, double> Read()
    {
        lock (_lock)
        {
            _observed.Clear();
        }

        _listener.RecordObservableInstruments();
        lock (_lock)
        {
            return new Dictionary<string, double>(_observed);
        }
    }

    /// <summary>Count and sum of each histogram's series, keyed as <c>name|key=value</c>.</summary>
    public Dictionary<string, (long Count, double Sum)> Histograms()
    {
        lock (_lock)
        {
            return new Dictionary<string, (long Count, double Sum)>(_histograms);
        }
    }

    public void Dispose() => _listener.Dispose();

    public static string Key(string name, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string key = name;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            key += $"|{tag.Key}={tag.Value}";
        }

        return key;
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string key = Key(instrument.Name, tags);
        lock (_lock)
        {
            if (instrument is Histogram<long> or Histogram<double>)
            {
                (long count, double sum) = _histograms.GetValueOrDefault(key);
                _histograms[key] = (count + 1, sum + value);
            }
            else
            {
                _observed[key] = value;
            }
        }
    }
}

/// <summary>The samples of a Prometheus text exposition, keyed by their name and labels as written.</summary>
internal static class PrometheusText
{
    public static Dictionary<string, string> Samples(string text)
    {
        var samples = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int space = line.LastIndexOf(' ');
            samples[line[..space]] = line[(space + 1)..];
        }

        return samples;
    }
}
