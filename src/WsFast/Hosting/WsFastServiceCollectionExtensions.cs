using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WsFast.Hosting;

namespace WsFast;

/// <summary>Runs <see cref="WsFastServer"/>s inside a .NET Generic Host.</summary>
/// <remarks>
/// Each <c>AddWsFast</c> registers a server as a singleton (a named one as a keyed singleton), made when the host
/// starts from <see cref="IOptions{TOptions}"/> of <see cref="WsFastServerOptions"/> (named options for a named
/// server), so that <c>services.Configure&lt;WsFastServerOptions&gt;(...)</c> and <c>PostConfigure</c> apply too; the
/// options are validated when the host starts (<c>ValidateOnStart</c>): a setting out of its range fails the start
/// with an <see cref="OptionsValidationException"/> that lists every problem, before anything listens. A hosted
/// service starts the server with the host and shuts it down gracefully (1001 to every client) when the host stops.
/// </remarks>
public static class WsFastServiceCollectionExtensions
{
    /// <summary>
    /// Registers a server whose options are read from <paramref name="configuration"/>, usually
    /// <c>builder.Configuration.GetSection("WsFast")</c> (<c>appsettings.json</c>, <c>WsFast__...</c> environment
    /// variables, command-line keys): every setting of <see cref="WsFastServerOptions"/> by its name, nested ones as
    /// sections (<c>Broadcast:HistorySize</c>), times as <c>00:00:30</c>, lists as arrays, listen addresses as
    /// <c>Urls</c>, networks as strings (<c>TrustedProxies: ["10.0.0.0/8"]</c>), TLS certificates by file
    /// (<c>Tls:Certificate:Path</c>, <c>KeyPath</c>, <c>Password</c>); a <c>PerMessageDeflate</c> section turns
    /// permessage-deflate on.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The server's section of the configuration.</param>
    /// <returns>A builder to map the server's endpoints with.</returns>
    public static WsFastBuilder AddWsFast(this IServiceCollection services, IConfiguration configuration) =>
        AddWsFast(services, Options.DefaultName, configuration);

    /// <summary>Registers a server whose options are set by <paramref name="configure"/>.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options (addresses, limits, timeouts).</param>
    /// <returns>A builder to map the server's endpoints with.</returns>
    public static WsFastBuilder AddWsFast(this IServiceCollection services, Action<WsFastServerOptions> configure) =>
        AddWsFast(services, Options.DefaultName, configure);

    /// <summary>
    /// Registers one of several servers in the host, resolved as <c>GetRequiredKeyedService&lt;WsFastServer&gt;(name)</c>,
    /// with its options (named <paramref name="name"/>) read from <paramref name="configuration"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The server's name: its service key and the name of its options.</param>
    /// <param name="configuration">The server's section of the configuration.</param>
    /// <returns>A builder to map the server's endpoints with.</returns>
    /// <exception cref="InvalidOperationException">A server of that name is registered already.</exception>
    public static WsFastBuilder AddWsFast(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string sectionPath = configuration is IConfigurationSection section ? section.Path : "";
        return Add(services, name, sectionPath, options => WsFastConfiguration.Bind(configuration, options));
    }

    /// <summary>
    /// Registers one of several servers in the host, resolved as <c>GetRequiredKeyedService&lt;WsFastServer&gt;(name)</c>,
    /// with its options (named <paramref name="name"/>) set by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The server's name: its service key and the name of its options.</param>
    /// <param name="configure">Sets the options (addresses, limits, timeouts).</param>
    /// <returns>A builder to map the server's endpoints with.</returns>
    /// <exception cref="InvalidOperationException">A server of that name is registered already.</exception>
    public static WsFastBuilder AddWsFast(this IServiceCollection services, string name, Action<WsFastServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Add(services, name, "", configure);
    }

    private static WsFastBuilder Add(IServiceCollection services, string name, string sectionPath, Action<WsFastServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        foreach (ServiceDescriptor descriptor in services)
        {
            if (!descriptor.IsKeyedService && descriptor.ImplementationInstance is WsFastServerRegistration existing && existing.Name == name)
            {
                throw new InvalidOperationException(name.Length == 0
                    ? "AddWsFast was called twice for the unnamed server: map every endpoint on the builder the first call returned, or give each server a name."
                    : $"AddWsFast was called twice for the server '{name}': map every endpoint on the builder the first call returned.");
            }
        }

        var registration = new WsFastServerRegistration(name);
        services.AddSingleton(registration);
        services.AddOptions<WsFastServerOptions>(name).Configure(configure).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WsFastServerOptions>>(new WsFastOptionsValidator(name, sectionPath));
        if (name.Length == 0)
        {
            services.AddSingleton(registration.Create);
        }
        else
        {
            services.AddKeyedSingleton(name, (provider, _) => registration.Create(provider));
        }

        // Not AddHostedService, which adds one service per type: each server has its own.
        services.AddSingleton<IHostedService>(provider => new WsFastHostedService(provider, name));
        return new WsFastBuilder(services, registration);
    }
}
