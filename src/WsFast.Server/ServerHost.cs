using System.CommandLine;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace WsFast.ServerApp;

/// <summary>
/// The executable on the .NET Generic Host: the configuration's layers, logging, systemd, the library's
/// <c>AddWsFast</c>, and the exit codes (2: a setting is not valid, 1: cannot listen, 0: stopped by a signal).
/// </summary>
internal static class ServerHost
{
    public static async Task<int> RunAsync(ParseResult parse)
    {
        HostApplicationBuilder builder;
        AppSettings settings;
        try
        {
            builder = CreateBuilder(parse);
            settings = AppSettings.Read(builder.Configuration);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            return Invalid(e.Message);
        }

        var served = new ServedEndpoints();
        builder.Services.AddSingleton(served);
        builder.Services.AddSingleton(settings);
        AddServer(builder, settings, served);
        if (settings.ServesTicker)
        {
            builder.Services.AddHostedService<TickerService>();
        }

        builder.Services.AddHostedService<SignalService>();

        IHost host = builder.Build();
        try
        {
            ILogger log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsFast.Server");
            IHostApplicationLifetime lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStarted.Register(() => StartupBanner.Print(served.Server!, settings));
            lifetime.ApplicationStopping.Register(() => AppLog.ShuttingDown(log));
            try
            {
                await host.StartAsync();
            }
            catch (Exception e) when (Unwrap(e) is OptionsValidationException or FormatException or ArgumentException or InvalidOperationException)
            {
                // Settings the library's validation refused, or a TLS certificate that cannot be read.
                return Invalid(Unwrap(e).Message);
            }
            catch (SocketException e)
            {
                Console.Error.WriteLine($"wsfast: cannot listen on {Addresses(served.Server)}: {e.Message}");
                return 1;
            }

            await host.WaitForShutdownAsync();
            return 0;
        }
        finally
        {
            if (host is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }

    /// <summary>
    /// The configuration, lowest layer first: the executable's defaults, <c>appsettings.json</c> and
    /// <c>appsettings.{Environment}.json</c> beside the executable, the <c>--config</c> file, the environment
    /// (<c>WsFast__Key</c>, then the older <c>WSFAST_NAME</c>), <c>--Section:Key=value</c> arguments, the flags.
    /// </summary>
    private static HostApplicationBuilder CreateBuilder(ParseResult parse)
    {
        string[] keyArguments = KeyArguments(parse.UnmatchedTokens);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            // appsettings.json is read beside the executable, wherever it is started from; DOTNET_CONTENTROOT
            // names another folder, as it does for any .NET host.
            ContentRootPath = Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is { Length: > 0 } root ? root : AppContext.BaseDirectory,
            EnvironmentName = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } name ? name : Environments.Production,
        });

        ConfigurationManager configuration = builder.Configuration;
        configuration.SetBasePath(builder.Environment.ContentRootPath);
        configuration.AddInMemoryCollection(ServerSettings.Defaults());
        configuration.AddJsonFile("appsettings.json", optional: true, reloadOnChange: false);
        configuration.AddJsonFile($"appsettings.{builder.Environment.EnvironmentName}.json", optional: true, reloadOnChange: false);
        configuration.AddInMemoryCollection(ServerSettings.FromConfigFile(parse));
        configuration.AddEnvironmentVariables();
        configuration.AddInMemoryCollection(ServerSettings.FromEnvironment());
        configuration.AddCommandLine(keyArguments);
        configuration.AddInMemoryCollection(ServerSettings.FromFlags(parse));

        // Options are configured in this order: the simple formatter, then systemd's journal format when systemd
        // runs the server, then the configuration (--log-format json wins over both); the single-line default
        // likewise comes before the configuration's FormatterOptions. (A formatter must be named: without a
        // name, the console logger ignores the simple formatter's options.)
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.FormatterName = ConsoleFormatterNames.Simple);
        builder.Services.AddSystemd();
        builder.Services.Configure<SimpleConsoleFormatterOptions>(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<JsonConsoleFormatterOptions>(json =>
        {
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.UseUtcTimestamp = true;
        });
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddConsole();
        return builder;
    }

    private static void AddServer(HostApplicationBuilder builder, AppSettings settings, ServedEndpoints served)
    {
        // The library's options, validated when the host starts; then what the executable's own settings add.
        IConfigurationSection section = builder.Configuration.GetSection("WsFast");
        WsFastBuilder server = builder.Services.AddWsFast(section);
        builder.Services.PostConfigure<WsFastServerOptions>(settings.Apply);
        served.Map(server, settings, publishToken: section["Broadcast:PublishToken"] is { Length: > 0 });

        // The host waits for the graceful shutdown (1001 to every client, their close handshakes) to finish.
        TimeSpan serverShutdown = Seconds(section["ShutdownTimeout"], 5) + Seconds(section["CloseTimeout"], 5);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = Max(host.ShutdownTimeout, serverShutdown + TimeSpan.FromSeconds(5)));
    }

    // A TimeSpan setting as the binder reads it; one it cannot read is the validation's to report.
    private static TimeSpan Seconds(string? text, double fallback) =>
        TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out TimeSpan value) && value > TimeSpan.Zero ? value : TimeSpan.FromSeconds(fallback);

    // The standard command-line form of configuration keys (--WsFast:MaxConnections=10, or its value as the
    // next argument); anything else is a flag that does not exist.
    private static string[] KeyArguments(IReadOnlyList<string> unmatched)
    {
        for (int i = 0; i < unmatched.Count; i++)
        {
            string token = unmatched[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains(':'))
            {
                throw new FormatException($"unknown argument '{token}' (--help lists the flags; a configuration key is --Section:Key=value)");
            }

            if (!token.Contains('=') && i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                i++;
            }
        }

        return [.. unmatched];
    }

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"wsfast: {message.ReplaceLineEndings(" ")}");
        return 2;
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : e;

    private static string Addresses(WsFastServer? server) => server is null ? "its addresses"
        : string.Join(", ", [.. server.Options.Urls, .. server.Options.Endpoints.Select(e => e.ToString()), .. server.Options.Tls?.Endpoints.Select(e => e.ToString()) ?? []]);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
