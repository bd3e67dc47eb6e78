using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace WsFast.Hosting;

/// <summary>
/// One server registered by <c>AddWsFast</c>: its name (empty for the unnamed one) and what is done to it once made
/// (<see cref="WsFastBuilder"/>'s maps and configure steps, in order).
/// </summary>
internal sealed class WsFastServerRegistration(string name)
{
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);

    public string Name => name;

    public List<Action<WsFastServer, IServiceProvider>> Setup { get; } = [];

    /// <summary>The unnamed server, or the keyed service of a named one.</summary>
    public static WsFastServer Resolve(IServiceProvider services, string name) =>
        name.Length == 0 ? services.GetRequiredService<WsFastServer>() : services.GetRequiredKeyedService<WsFastServer>(name);

    /// <summary>Records a path mapped through the builder; false when it was mapped already.</summary>
    public bool AddPath(string path) => _paths.Add(path);

    public WsFastServer Create(IServiceProvider services)
    {
        // What users inject: IOptions for the unnamed server, the named options of a named one.
        WsFastServerOptions options = name.Length == 0
            ? services.GetRequiredService<IOptions<WsFastServerOptions>>().Value
            : services.GetRequiredService<IOptionsMonitor<WsFastServerOptions>>().Get(name);
        var server = new WsFastServer(options, services);
        foreach (Action<WsFastServer, IServiceProvider> step in Setup)
        {
            step(server, services);
        }

        return server;
    }
}
