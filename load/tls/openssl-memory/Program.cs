// How much native memory OpenSSL holds per idle TLS connection, by the runtime's own count of OpenSSL's
// allocations (on when DOTNET_OPENSSL_MEMORY_DEBUG=1 is set before the process starts). Opens N idle wss://
// connections and prints OpenSSL's allocations per connection. Every client here is an SslStream too, so:
//
//   dotnet build WsFast.sln -c Release
//   DOTNET_OPENSSL_MEMORY_DEBUG=1 dotnet run -c Release --project load/tls/openssl-memory -- 300
//       a WsFast server in this process and its clients: server + client per connection
//   DOTNET_OPENSSL_MEMORY_DEBUG=1 dotnet run -c Release --project load/tls/openssl-memory -- 300 PORT
//       the clients alone, against a server elsewhere listening with TLS on PORT (e.g. the executable)
//
// The server's share is the first figure less the second.
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using WsFast.Server;

int connections = args.Length > 0 ? int.Parse(args[0]) : 300;
Func<long> openSslBytes = OpenSslAllocatedBytes();

using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
var names = new SubjectAlternativeNameBuilder();
names.AddIpAddress(IPAddress.Loopback);
request.CertificateExtensions.Add(names.Build());
using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

var options = new WsFastServerOptions { PingInterval = TimeSpan.Zero, Tls = new TlsOptions { Certificate = TlsCertificate.FromCertificate(certificate) } };
options.Tls.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
options.ClientLimits.MaxConnectionsPerAddress = 0;
options.ClientLimits.HandshakesPerSecond = 0;
await using var server = new WsFastServer(options);
server.Map("/echo", new EchoHandler());
await server.StartAsync();
int port = args.Length > 1 ? int.Parse(args[1]) : server.TlsEndPoints[0].Port;

var clients = new List<SslStream>();
for (int i = 0; i < 5; i++)
{
    clients.Add(await OpenAsync(port)); // the first handshakes load and cache what every later one shares
}

await Task.Delay(500);
long before = openSslBytes();
for (int i = 0; i < connections; i++)
{
    clients.Add(await OpenAsync(port));
}

await Task.Delay(1000);
long after = openSslBytes();
Console.WriteLine($"{connections} idle wss:// connections to port {port}{(args.Length > 1 ? " (clients only)" : " (server and clients in this process)")}: " +
    $"OpenSSL holds {(after - before) / (double)connections / 1024:F1} KiB more per connection");
foreach (SslStream client in clients)
{
    client.Dispose();
}

static async Task<SslStream> OpenAsync(int port)
{
    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await socket.ConnectAsync(IPAddress.Loopback, port);
    var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), false, (_, _, _, _) => true); // a probe: any certificate
    await tls.AuthenticateAsClientAsync("localhost");
    await tls.WriteAsync(Encoding.ASCII.GetBytes(
        "GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    byte[] head = new byte[1024];
    int read = 0;
    while (!Encoding.ASCII.GetString(head, 0, read).Contains("\r\n\r\n"))
    {
        int got = await tls.ReadAsync(head.AsMemory(read));
        if (got == 0)
        {
            throw new IOException("The server closed the connection before its 101.");
        }

        read += got;
    }

    return tls;
}

// The runtime's count of OpenSSL's allocations (Interop.Crypto.GetOpenSslAllocatedMemory, not public API).
static Func<long> OpenSslAllocatedBytes()
{
    if (Environment.GetEnvironmentVariable("DOTNET_OPENSSL_MEMORY_DEBUG") != "1")
    {
        throw new InvalidOperationException("Set DOTNET_OPENSSL_MEMORY_DEBUG=1 before starting: the runtime counts OpenSSL's allocations only then.");
    }

    MethodInfo method = new[] { typeof(RSA).Assembly, typeof(SslStream).Assembly }
        .Select(assembly => assembly.GetType("Interop+Crypto"))
        .SelectMany(type => type?.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public) ?? [])
        .First(m => m.Name == "GetOpenSslAllocatedMemory");
    return () => Convert.ToInt64(method.Invoke(null, null));
}
