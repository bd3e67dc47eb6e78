using System.Text.Json;
using System.Text.RegularExpressions;

namespace WsFast.Tests.Executable;

/// <summary>
/// The executable's console log: one simple line per entry by default, JSON objects with <c>--log-format json</c>
/// or <c>Logging:Console:FormatterName</c>, levels by category from the <c>Logging</c> section.
/// </summary>
public partial class LoggingTests
{
    [Fact]
    public async Task By_default_each_entry_is_one_line_with_time_level_category_and_event_id()
    {
        await using HostedExecutable server = HostedExecutable.Start(["--port", "0"]);
        int port = await server.PortAsync();

        await server.LineAsync(line => SimpleListeningLine().IsMatch(line) && line.EndsWith($":{port}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Json_format_writes_one_JSON_object_per_entry(bool flag)
    {
        string folder = HostedExecutable.SettingsFolder(("appsettings.json", """{ "Logging": { "Console": { "FormatterName": "json" } } }"""));
        await using HostedExecutable server = flag
            ? HostedExecutable.Start(["--port", "0", "--log-format", "json"])
            : HostedExecutable.Start(["--port", "0"], folder);
        int port = await server.PortAsync();

        string line = await server.LineAsync(line => line.StartsWith('{') && line.Contains("\"EventId\":1,", StringComparison.Ordinal));
        using JsonDocument entry = JsonDocument.Parse(line);
        Assert.Equal("WsFast.WsFastServer", entry.RootElement.GetProperty("Category").GetString());
        Assert.Equal("Information", entry.RootElement.GetProperty("LogLevel").GetString());
        Assert.Equal($"WsFast listening on 127.0.0.1:{port}", entry.RootElement.GetProperty("Message").GetString());
        Assert.True(entry.RootElement.TryGetProperty("Timestamp", out _));
    }

    [Fact]
    public async Task The_Logging_section_sets_the_level_of_each_category()
    {
        string folder = HostedExecutable.SettingsFolder(("appsettings.json", """
            { "Logging": { "LogLevel": { "Default": "Warning", "WsFast": "Information" } } }
            """));
        await using HostedExecutable server = HostedExecutable.Start(["--port", "0"], folder);
        await server.PortAsync();
        server.Signal(HostedExecutable.SIGTERM);

        Assert.Equal(0, await server.ExitCodeAsync());
        Assert.Contains(server.Stdout, line => line.Contains("info: WsFast.WsFastServer[1] WsFast listening on", StringComparison.Ordinal));
        Assert.Contains(server.Stdout, line => line.Contains("info: WsFast.WsFastServer[3] WsFast stopped", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Stdout, line => line.Contains("Microsoft.Hosting.Lifetime", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_level_sets_the_default_level()
    {
        await using HostedExecutable server = HostedExecutable.Start(["--port", "0", "--log-level", "Warning"]);
        await server.PortAsync();
        server.Signal(HostedExecutable.SIGTERM);

        Assert.Equal(0, await server.ExitCodeAsync());
        Assert.DoesNotContain(server.Stdout, line => line.Contains(" info: ", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} info: WsFast\.WsFastServer\[1\] WsFast listening on 127\.0\.0\.1:\d+$")]
    private static partial Regex SimpleListeningLine();
}
