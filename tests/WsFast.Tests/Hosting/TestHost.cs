using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WsFast.Tests.Server;

namespace WsFast.Tests.Hosting;

/// <summary>
/// A real Generic Host (<see cref="Host.CreateApplicationBuilder()"/>) for the hosting tests: in the Development
/// environment, so that the service provider checks scopes (a scoped service resolved from the root fails), with
/// the given JSON as its <c>appsettings.json</c> and every log line kept.
/// </summary>
internal static class TestHost
{
    /// <summary>The socket engine of the test run, as a configuration value.</summary>
    public static string Engine => TestServer.Engine.ToString();

    public static HostApplicationBuilder Create(string json, TestLog log)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Development,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new Provider(log));
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        return builder;
    }

    public static HostApplicationBuilder Create(string json = "{}") => Create(json, new TestLog());

    /// <summary>A client connected to <paramref name="uri"/>, without keep-alive pings.</summary>
    public static async Task<ClientWebSocket> ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        await client.ConnectAsync(uri, cancellationToken);
        return client;
    }

    private sealed class Provider(TestLog log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => log;

        public void Dispose()
        {
        }
    }
}
