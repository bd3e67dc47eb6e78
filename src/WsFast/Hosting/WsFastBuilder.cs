using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using WsFast.Hosting;

namespace WsFast;

/// <summary>
/// Maps the endpoints of a server registered with <c>AddWsFast</c>. Each call is recorded and applied, in order,
/// when the host makes the server (as it starts), with the host's services at hand.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast"))
///     .Map&lt;ChatHandler&gt;("/chat")
///     .MapBroadcast("/live", configure: endpoint => endpoint.SlowConsumerPolicy = SlowConsumerPolicy.Disconnect);
/// </code>
/// </example>
public sealed class WsFastBuilder
{
    private readonly WsFastServerRegistration _registration;

    internal WsFastBuilder(IServiceCollection services, WsFastServerRegistration registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>The host's services, to register handlers' dependencies.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The server's name: empty for the server resolved as <see cref="WsFastServer"/>, otherwise the key it is
    /// resolved by (<c>GetRequiredKeyedService&lt;WsFastServer&gt;(name)</c>) and the name of its options.
    /// </summary>
    public string Name => _registration.Name;

    /// <summary>
    /// Serves WebSocket connections on <paramref name="path"/> with a <typeparamref name="THandler"/> made for each
    /// connection in a service scope of its own (see <see cref="WsFastServer.Map{THandler}"/>).
    /// </summary>
    /// <param name="path">The endpoint's path, e.g. <c>/chat</c>.</param>
    /// <param name="configure">Sets the endpoint up (subprotocols, origins, authorizer).</param>
    /// <exception cref="ArgumentException">The path does not start with '/', or is mapped already.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The two Map overloads differ by a required handler argument, so no call can be ambiguous.")]
    public WsFastBuilder Map<THandler>(string path, Action<WebSocketEndpoint>? configure = null)
        where THandler : WebSocketHandler
    {
        AddPath(path);
        return Configure((server, _) => Configured(server.Map<THandler>(path), configure));
    }

    /// <summary>Serves WebSocket connections on <paramref name="path"/> with one <paramref name="handler"/> for all of them.</summary>
    /// <param name="path">The endpoint's path, e.g. <c>/echo</c>.</param>
    /// <param name="handler">The handler of every connection.</param>
    /// <param name="configure">Sets the endpoint up (subprotocols, origins, authorizer).</param>
    /// <exception cref="ArgumentException">The path does not start with '/', or is mapped already.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The two Map overloads differ by a required handler argument, so no call can be ambiguous.")]
    public WsFastBuilder Map(string path, WebSocketHandler handler, Action<WebSocketEndpoint>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        AddPath(path);
        return Configure((server, _) => Configured(server.Map(path, handler), configure));
    }

    /// <summary>Serves topics on <paramref name="path"/> (see <see cref="WsFastServer.MapBroadcast"/>).</summary>
    /// <param name="path">The endpoint's path; <c>{path}/{topic}</c> subscribes to a topic.</param>
    /// <param name="relayClientMessages">Whether what a client sends is published to its topic.</param>
    /// <param name="defaultTopic">The topic of the plain path.</param>
    /// <param name="configure">Sets the endpoint up (slow-consumer policy, origins, authorizer).</param>
    /// <exception cref="ArgumentException">The path does not start with '/', or is mapped already.</exception>
    public WsFastBuilder MapBroadcast(string path, bool relayClientMessages = false, string defaultTopic = "default", Action<WebSocketEndpoint>? configure = null)
    {
        AddPath(path);
        return Configure((server, _) => Configured(server.MapBroadcast(path, relayClientMessages, defaultTopic), configure));
    }

    /// <summary>
    /// Does anything else to the server once it is made and before it starts (<see cref="WsFastServer.MapContent"/>,
    /// a handler from the services), in order with the maps.
    /// </summary>
    public WsFastBuilder Configure(Action<WsFastServer, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _registration.Setup.Add(configure);
        return this;
    }

    private static void Configured(WebSocketEndpoint endpoint, Action<WebSocketEndpoint>? configure) => configure?.Invoke(endpoint);

    private void AddPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.Contains('?'))
        {
            throw new ArgumentException($"'{path}' is not a path: a path starts with '/' and has no query.", nameof(path));
        }

        if (!_registration.AddPath(path))
        {
            throw new ArgumentException($"'{path}' is mapped already on {(Name.Length == 0 ? "the server" : $"the server '{Name}'")}.", nameof(path));
        }
    }
}
