using System.Net;
using System.Net.Sockets;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Executable;

/// <summary>
/// The executable's configuration, lowest layer first: appsettings.json, appsettings.{Environment}.json, the
/// --config file (keys of flag names), WsFast__ / Server__ environment variables, WSFAST_ variables,
/// --Section:Key arguments, flags. A setting that is not valid stops the start with exit code 2 and one line
/// naming it; an address that cannot be bound, with exit code 1.
/// </summary>
public class ConfigurationTests
{
    [Fact]
    public async Task A_flag_wins_over_the_environment_which_wins_over_appsettings_json()
    {
        string folder = HostedExecutable.SettingsFolder(("appsettings.json", """
            { "Server": { "EchoPath": "/file-echo", "TickerPath": "/file-ticker", "BroadcastPath": "/file-broadcast" } }
            """));
        await using HostedExecutable server = HostedExecutable.Start(
            ["--port", "0", "--broadcast-path", "/flag-broadcast"], folder, null, ("Server__TickerPath", "/env-ticker"));
        int port = await server.PortAsync();

        await server.LineAsync(line => line == $"WebSocket endpoint: ws://127.0.0.1:{port}/file-echo");
        await server.LineAsync(line => line == $"WebSocket endpoint: ws://127.0.0.1:{port}/env-ticker");
        await server.LineAsync(line => line.StartsWith($"WebSocket endpoint: ws://127.0.0.1:{port}/flag-broadcast and", StringComparison.Ordinal));
        await using RawClient client = await RawClient.OpenAsync(port, "/file-echo");
        await client.AssertEchoesAsync("configured in appsettings.json");
    }

    [Fact]
    public async Task The_environment_file_the_config_file_and_the_two_forms_of_variable_layer_in_that_order()
    {
        string folder = HostedExecutable.SettingsFolder(
            ("appsettings.json", """{ "Server": { "EchoPath": "/base-echo", "TickerPath": "/base-ticker", "BroadcastPath": "/base-broadcast" } }"""),
            ("appsettings.Staging.json", """{ "Server": { "EchoPath": "/staging-echo", "TickerPath": "/staging-ticker" } }"""),
            ("old.json", """{ "ticker-path": "/config-ticker", "broadcast-path": "/config-broadcast" }"""));
        await using HostedExecutable server = HostedExecutable.Start(
            ["--port", "0", "--config", Path.Combine(folder, "old.json")], folder, null,
            ("DOTNET_ENVIRONMENT", "Staging"), ("Server__BroadcastPath", "/env-broadcast"), ("WSFAST_BROADCAST_PATH", "/legacy-broadcast"));
        int port = await server.PortAsync();

        await server.LineAsync(line => line == $"WebSocket endpoint: ws://127.0.0.1:{port}/staging-echo");
        await server.LineAsync(line => line == $"WebSocket endpoint: ws://127.0.0.1:{port}/config-ticker");
        await server.LineAsync(line => line.StartsWith($"WebSocket endpoint: ws://127.0.0.1:{port}/legacy-broadcast and", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WsFast_Urls_in_appsettings_json_are_listened_on_and_host_and_port_flags_replace_them()
    {
        string folder = HostedExecutable.SettingsFolder(("appsettings.json", """{ "WsFast": { "Urls": [ "http://127.0.0.2:0" ] } }"""));
        await using (HostedExecutable fromFile = HostedExecutable.Start([], folder))
        {
            string line = await fromFile.LineAsync(line => line.StartsWith("WsFast demo page:", StringComparison.Ordinal));
            Assert.StartsWith("WsFast demo page:  http://127.0.0.2:", line, StringComparison.Ordinal);
        }

        await using HostedExecutable fromFlags = HostedExecutable.Start(["--host", "127.0.0.3", "--port", "0"], folder);
        string flagged = await fromFlags.LineAsync(line => line.StartsWith("WsFast demo page:", StringComparison.Ordinal));
        Assert.StartsWith("WsFast demo page:  http://127.0.0.3:", flagged, StringComparison.Ordinal);
        await fromFlags.LineAsync(line => line.StartsWith("Authentication:", StringComparison.Ordinal)); // the last line of its addresses
        Assert.DoesNotContain(fromFlags.Stdout, line => line.Contains("127.0.0.2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("appsettings.json", "")]
    [InlineData("WsFast__MaxMessageSize", "16")]
    [InlineData("WSFAST_MAX_MESSAGE_SIZE", "16")]
    [InlineData("--WsFast:MaxMessageSize=16", "")]
    [InlineData("--max-message-size", "16")]
    public async Task The_library_options_bind_from_the_WsFast_section_whichever_layer_sets_them(string source, string value)
    {
        // appsettings.json says 16 itself, or 1000 for another layer to override.
        string folder = HostedExecutable.SettingsFolder(("appsettings.json", $$"""{ "WsFast": { "MaxMessageSize": {{(source == "appsettings.json" ? 16 : 1000)}} } }"""));
        string[] arguments = source.StartsWith("--", StringComparison.Ordinal) ? ["--port", "0", source, .. value.Length > 0 ? [value] : Array.Empty<string>()] : ["--port", "0"];
        (string, string)[] environment = source.StartsWith("W", StringComparison.Ordinal) ? [(source, value)] : [];
        await using HostedExecutable server = HostedExecutable.Start(arguments, folder, null, environment);
        int port = await server.PortAsync();

        await using RawClient client = await RawClient.OpenAsync(port, "/echo");
        await client.AssertEchoesAsync(new string('a', 16));
        await client.SendFramesAsync(ClientFrames.Text(new string('a', 17)));
        ServerFrame close = await client.ReadFrameAnsweringPingsAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal((ushort)1009, close.CloseCode);
    }

    [Theory]
    [InlineData("""{ "WsFast": { "MaxConnections": 0 } }""", "MaxConnections")]
    [InlineData("""{ "WsFast": { "MaxMessageSize": "big" } }""", "WsFast:MaxMessageSize")]
    [InlineData("""{ "Server": { "Mode": "everything" } }""", "Server:Mode")]
    [InlineData("""{ "Server": { "TlsPort": 8443 } }""", "--tls-port (Server:TlsPort)")]
    public async Task A_setting_in_appsettings_json_that_is_not_valid_stops_the_start_with_exit_code_2_naming_it(string json, string named)
    {
        string folder = HostedExecutable.SettingsFolder(("appsettings.json", json));
        await using HostedExecutable server = HostedExecutable.Start(["--port", "0"], folder);

        Assert.Equal(2, await server.ExitCodeAsync());
        Assert.StartsWith("wsfast: ", server.Stderr, StringComparison.Ordinal);
        Assert.Contains(named, server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Stdout, line => line.StartsWith("WsFast demo page:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("WSFAST_PORT", "eighty", "WSFAST_PORT")]
    [InlineData("Server__Port", "eighty", "Server:Port")]
    [InlineData("", "--no-such-flag", "--no-such-flag")]
    public async Task A_variable_or_argument_that_is_not_valid_stops_the_start_with_exit_code_2_naming_it(string variable, string value, string named)
    {
        await using HostedExecutable server = variable.Length > 0
            ? HostedExecutable.Start([], null, null, (variable, value))
            : HostedExecutable.Start(["--port", "0", value]);

        Assert.Equal(2, await server.ExitCodeAsync());
        Assert.StartsWith("wsfast: ", server.Stderr, StringComparison.Ordinal);
        Assert.Contains(named, server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_address_already_in_use_stops_the_start_with_exit_code_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using HostedExecutable server = HostedExecutable.Start(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.Equal(1, await server.ExitCodeAsync());
        Assert.StartsWith($"wsfast: cannot listen on http://127.0.0.1:{port}", server.Stderr, StringComparison.Ordinal);
    }
}
