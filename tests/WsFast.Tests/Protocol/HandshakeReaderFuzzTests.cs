using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

/// <summary>
/// Seeded mutation fuzzing of <see cref="HandshakeReader"/>: valid requests are damaged at random and fed in
/// random pieces. Set <c>WSFAST_FUZZ_ITERATIONS</c> to run longer than the CI default.
/// </summary>
public class HandshakeReaderFuzzTests
{
    private const int DefaultIterations = 200_000;

    private static readonly byte[][] Seeds =
    [
        HandshakeInput.Bytes(HandshakeInput.RfcSampleRequest),
        HandshakeInput.Bytes(HandshakeInput.BrowserRequest),
        HandshakeInput.Bytes("GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"),
        HandshakeInput.Bytes("POST /publish/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
        HandshakeInput.Bytes(HandshakeInput.Upgrade("Sec-WebSocket-Extensions: a; b=\"c\", d; e=f\r\nSec-WebSocket-Protocol: x, y\r\n")),
        [.. HandshakeInput.Bytes(HandshakeInput.Upgrade()), 0x81, 0x82, 1, 2, 3, 4, 5, 6],
    ];

    // Bytes that sit on the grammar's edges.
    private static readonly byte[] Interesting = HandshakeInput.Bytes(": \r\n\t,;=\"\\/?#\0\u007f\u0080\u00ffaZ09-");

    [Fact]
    public void Mutated_requests_never_throw_never_over_consume_and_never_buffer_past_the_limit()
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("WSFAST_FUZZ_ITERATIONS"), out int configured) && configured > 0
            ? configured
            : DefaultIterations;
        var random = new Random(6455);
        var seen = new HashSet<HandshakeStatus>();
        byte[] response = new byte[1024];

        for (int n = 0; n < iterations; n++)
        {
            byte[] data = Mutate(random, Seeds[random.Next(Seeds.Length)]);
            int maxBytes = random.Next(4) == 0 ? random.Next(8, 700) : HandshakeReader.DefaultMaxHeaderBytes;
            int maxCount = random.Next(4) == 0 ? random.Next(1, 12) : HandshakeReader.DefaultMaxHeaderCount;

            HandshakeOutcome whole = HandshakeInput.ReadAll(new HandshakeReader(maxBytes, maxCount), data);
            HandshakeOutcome pieces = HandshakeInput.Feed(new HandshakeReader(maxBytes, maxCount), data, Sizes(random, data.Length));

            // However the bytes arrive, the verdict is the same.
            Assert.Equal(whole.Status, pieces.Status);
            Assert.Equal(whole.Error, pieces.Error);
            Assert.Equal(whole.Consumed, pieces.Consumed);
            Assert.InRange(whole.Consumed, 0, data.Length);
            seen.Add(whole.Status);

            switch (whole.Status)
            {
                case HandshakeStatus.Upgrade:
                    HandshakeRequest request = whole.Request!;
                    Assert.Equal("GET", request.Method);
                    Assert.StartsWith("/", request.Path);
                    Assert.Equal(16, Convert.FromBase64String(request.Key).Length);
                    Assert.True(HandshakeResponse.TryWriteAccept(
                        request.Key,
                        request.Subprotocols.Count > 0 ? request.Subprotocols[0] : null,
                        request.Extensions.Count > 0 ? request.Extensions[0].ToString() : null,
                        response,
                        out _));
                    break;
                case HandshakeStatus.PlainRequest:
                    Assert.Contains(whole.Request!.NonUpgradeReason, new[] { HandshakeError.MissingUpgrade, HandshakeError.MissingConnectionUpgrade });
                    Assert.True(HandshakeResponse.TryWriteRefusal(whole.Request.NonUpgradeReason, response, out _));
                    break;
                case HandshakeStatus.Refused:
                    Assert.True(HandshakeResponse.TryWriteRefusal(whole.Error, response, out _));
                    break;
                default:
                    Assert.InRange(data.Length, 0, maxBytes);
                    break;
            }
        }

        // The mutations must keep reaching every outcome, or the fuzzing has gone blind.
        Assert.Equal(4, seen.Count);
    }

    private static int[] Sizes(Random random, int length)
    {
        int pieces = random.Next(5) switch
        {
            0 => 1,
            1 => Math.Min(length, random.Next(10, 33)),
            _ => random.Next(1, 9),
        };
        var sizes = new int[pieces];
        for (int i = 0; i < pieces; i++)
        {
            sizes[i] = random.Next(1, Math.Max(2, 2 * length / pieces));
        }

        return sizes;
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        int mutations = random.Next(1, 5);
        for (int m = 0; m < mutations; m++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(9))
            {
                case 0 when at < bytes.Count:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                case 4 when at < bytes.Count:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 5:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 6 when at < bytes.Count:
                    int length = random.Next(1, Math.Min(80, bytes.Count - at) + 1);
                    bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));
                    break;
                case 7:
                    byte[] padding = new byte[random.Next(2) == 0 ? random.Next(1, 300) : random.Next(8000, 9000)];
                    padding.AsSpan().Fill((byte)'a');
                    bytes.InsertRange(at, padding);
                    break;
                default:
                    int cr = bytes.IndexOf((byte)'\r', at == bytes.Count ? 0 : at);
                    if (cr >= 0)
                    {
                        bytes.RemoveAt(cr); // a lone LF
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
