using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// Real third-party clients over wss://, trusting the test's authority the way their users would configure it:
/// Node.js <c>ws</c> through NODE_EXTRA_CA_CERTS, Python <c>websockets</c> through SSL_CERT_FILE (the default
/// context OpenSSL builds). The same scripts as the plain interop tests: text, 70000-byte binary, close 1000.
/// </summary>
public class WssInteropTests
{
    [Fact]
    public async Task Node_ws_client_round_trips_over_wss_trusting_the_test_authority()
    {
        string interop = InteropTests.InteropDirectory();
        Assert.True(File.Exists(Path.Combine(interop, "node_modules", "ws", "package.json")),
            $"The Node.js package ws is not installed in {interop}: {InteropTests.InstallHint}.");
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key);

        await InteropTests.AssertClientSucceedsAsync("node", [Path.Combine(interop, "ws_client.mjs"), server.Wss("/echo").ToString()], interop,
            ("NODE_EXTRA_CA_CERTS", certificates.CaPath));
        Assert.Equal(0, await InteropTests.WaitForNoConnectionsAsync(server));
        Assert.Equal(0, server.Server.Counters.TlsHandshakeFailures);
    }

    [Fact]
    public async Task Python_websockets_client_round_trips_over_wss_trusting_the_test_authority()
    {
        string interop = InteropTests.InteropDirectory();
        (int exitCode, string _, string stderr) = await InteropTests.RunAsync("/usr/bin/python3", ["-c", "import websockets"], interop);
        Assert.True(exitCode == 0, $"/usr/bin/python3 cannot import websockets ({stderr.Trim()}): {InteropTests.InstallHint}.");
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key);

        await InteropTests.AssertClientSucceedsAsync("/usr/bin/python3", [Path.Combine(interop, "websockets_client.py"), server.Wss("/echo").ToString()], interop,
            ("SSL_CERT_FILE", certificates.CaPath));
        Assert.Equal(0, await InteropTests.WaitForNoConnectionsAsync(server));
        Assert.Equal(0, server.Server.Counters.TlsHandshakeFailures);
    }

    [Fact]
    public async Task Python_websockets_client_without_the_authority_refuses_the_server_and_the_server_counts_it()
    {
        string interop = InteropTests.InteropDirectory();
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key);

        (int exitCode, string stdout, _) = await InteropTests.RunAsync("/usr/bin/python3", [Path.Combine(interop, "websockets_client.py"), server.Wss("/echo").ToString()], interop);
        Assert.Equal(1, exitCode);
        Assert.Contains("CERTIFICATE_VERIFY_FAILED", stdout, StringComparison.Ordinal);
        Assert.True(await server.Log.WaitForAsync("TLS handshake with"), "no log line for the refused handshake");
        Assert.Equal(1, server.Server.Counters.TlsHandshakeFailures);
    }
}
