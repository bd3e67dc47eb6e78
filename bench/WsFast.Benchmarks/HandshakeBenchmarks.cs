using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using WsFast.Protocol;

namespace WsFast.Benchmarks;

/// <summary>
/// The server's whole share of an opening handshake: read a browser's upgrade request, compute the accept
/// key and write the 101 response. Allocation should come only from the strings of the HandshakeRequest.
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    // A request captured from Chrome 79 on Android.
    private const string BrowserRequest =
        "GET / HTTP/1.1\r\n" +
        "Host: 192.168.11.8:9999\r\n" +
        "Connection: Upgrade\r\n" +
        "Pragma: no-cache\r\n" +
        "Cache-Control: no-cache\r\n" +
        "User-Agent: Mozilla/5.0 (Linux; Android 5.0; SM-G900P Build/LRX21T) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.117 Mobile Safari/537.36\r\n" +
        "Upgrade: websocket\r\n" +
        "Origin: http://192.168.11.8\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Accept-Encoding: gzip, deflate\r\n" +
        "Accept-Language: ja,en-US;q=0.9,en;q=0.8\r\n" +
        "Sec-WebSocket-Key: QM9LlNTkaJ2ytQ5w4v4Y0w==\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
        "\r\n";

    private readonly HandshakeReader _reader = new();
    private readonly byte[] _response = new byte[512];
    private readonly byte[] _key = Encoding.ASCII.GetBytes("QM9LlNTkaJ2ytQ5w4v4Y0w==");
    private ReadOnlySequence<byte> _request;

    /// <summary>Prepares the request bytes.</summary>
    [GlobalSetup]
    public void Setup() => _request = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(BrowserRequest));

    /// <summary>Read the request, compute the accept key and write the 101 response.</summary>
    [Benchmark(Baseline = true)]
    public int ReadAndAccept()
    {
        _reader.TryRead(_request, out _, out _, out HandshakeRequest? request, out _);
        HandshakeResponse.TryWriteAccept(request!.Key, null, null, _response, out int written);
        return written;
    }

    /// <summary>Only read the request.</summary>
    [Benchmark]
    public int Read() => (int) _reader.TryRead(_request, out _, out _, out _, out _);

    /// <summary>Only compute the accept key.</summary>
    [Benchmark]
    public int ComputeAcceptKey() => AcceptKey.Compute(_key, _response);
}
