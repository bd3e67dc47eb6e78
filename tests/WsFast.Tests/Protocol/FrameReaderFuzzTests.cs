using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Support;

namespace WsFast.Tests.Protocol;

/// <summary>
/// Seeded random and mutation fuzzing of the frame reader. Valid streams must decode to exactly what was
/// encoded, at any split; mutated streams must end in data or a defined protocol error, never an exception,
/// a stall, or buffering beyond a control frame. <c>WSFAST_FUZZ_ITERATIONS</c> raises the count.
/// </summary>
public class FrameReaderFuzzTests
{
    private const int MaxMessage = 4096;
    private static readonly FrameReaderOptions Options = new() { MaxMessagePayload = MaxMessage };

    internal static int Iterations(int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable("WSFAST_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : defaultCount;

    [Fact]
    public void Random_valid_streams_decode_to_what_was_encoded_at_random_splits()
    {
        var random = new Random(6455);
        int iterations = Iterations(100_000);
        for (int i = 0; i < iterations; i++)
        {
            (byte[] input, List<string> expected) = RandomStream(random);
            var collector = new FrameCollector(Options);
            FeedInRandomPieces(random, collector, input);

            List<string> actual = collector.Events.Select(Describe).ToList();
            if (!expected.SequenceEqual(actual))
            {
                Assert.Fail($"iteration {i}: input {Convert.ToHexString(input)}\nexpected {string.Join(" ", expected)}\nactual   {string.Join(" ", actual)}");
            }

            Assert.True(collector.MaxPending <= 2 + 4 + FrameReader.MaxControlPayload);
        }
    }

    [Fact]
    public void Mutated_streams_end_in_data_or_a_defined_protocol_error()
    {
        var random = new Random(1002);
        int iterations = Iterations(200_000);
        for (int i = 0; i < iterations; i++)
        {
            (byte[] input, _) = RandomStream(random);
            byte[] mutated = Mutate(random, input);
            var collector = new FrameCollector(Options);
            try
            {
                FeedInRandomPieces(random, collector, mutated);
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: input {Convert.ToHexString(mutated)} threw {e}");
            }

            Assert.True(collector.MaxPending <= 2 + 4 + FrameReader.MaxControlPayload, $"iteration {i} buffered {collector.MaxPending} bytes");
            foreach (ReadEvent e in collector.Events)
            {
                Assert.True(e.Payload.Length <= MaxMessage);
                if (e.Kind == "error")
                {
                    Assert.True(Enum.IsDefined(e.Error) && e.Error != ProtocolError.None);
                    Assert.Contains((int)e.Error.ToCloseCode(), new[] { 1002, 1007, 1009 });
                }
            }

            int firstError = collector.Events.FindIndex(e => e.Kind == "error");
            Assert.True(firstError < 0 || firstError == collector.Events.Count - 1, "nothing follows an error");
        }
    }

    private static string Describe(ReadEvent e) => e.Kind == "error" ? e.Error.ToString() : $"{e.Kind}:{Convert.ToHexString(e.Payload)}";

    private static void FeedInRandomPieces(Random random, FrameCollector collector, byte[] input)
    {
        int offset = 0;
        while (offset < input.Length && !collector.Failed)
        {
            int take = random.Next(4) == 0 ? 1 : random.Next(1, input.Length - offset + 1);
            byte[] piece = input[offset..(offset + take)];
            int[] cuts = random.Next(3) == 0 && piece.Length > 1 ? [random.Next(1, piece.Length)] : [];
            collector.Feed(piece, cuts);
            offset += take;
        }
    }

    private static (byte[] Input, List<string> Expected) RandomStream(Random random)
    {
        var bytes = new List<byte>();
        var expected = new List<string>();
        int messages = random.Next(1, 5);
        for (int m = 0; m < messages; m++)
        {
            bool text = random.Next(2) == 0;
            byte[] payload = text ? RandomUtf8(random) : RandomBytes(random, random.Next(4) == 0 ? 300 : 40);
            int fragments = random.Next(1, 4);
            int start = 0;
            for (int f = 0; f < fragments; f++)
            {
                int end = f == fragments - 1 ? payload.Length : random.Next(start, payload.Length + 1);
                Opcode opcode = f == 0 ? (text ? Opcode.Text : Opcode.Binary) : Opcode.Continuation;
                bytes.AddRange(ClientFrames.Frame(opcode, payload[start..end], fin: f == fragments - 1, key: RandomKey(random)));
                start = end;

                if (f < fragments - 1 && random.Next(3) == 0)
                {
                    byte[] ping = RandomBytes(random, 20);
                    bytes.AddRange(ClientFrames.Frame(Opcode.Ping, ping, key: RandomKey(random)));
                    expected.Add($"ping:{Convert.ToHexString(ping)}");
                }
            }

            expected.Add($"{(text ? "text" : "binary")}:{Convert.ToHexString(payload)}");
        }

        return (bytes.ToArray(), expected);
    }

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[4];
        random.NextBytes(key);
        return key;
    }

    private static byte[] RandomBytes(Random random, int maxLength)
    {
        var bytes = new byte[random.Next(maxLength + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static readonly string[] Alphabet = ["a", "Z", " ", "é", "κ", "€", "✓", "😀", "中", "\u0000"];

    private static byte[] RandomUtf8(Random random)
    {
        var text = new StringBuilder();
        int length = random.Next(random.Next(4) == 0 ? 120 : 20);
        for (int i = 0; i < length; i++)
        {
            text.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = new List<byte>(input);
        int mutations = random.Next(1, 4);
        for (int i = 0; i < mutations && bytes.Count > 0; i++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                case 3: bytes.RemoveAt(at); break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break;
                default:
                    // Header-shaped noise: a plausible first byte and a large length.
                    bytes.InsertRange(at, [(byte)random.Next(256), (byte)(0x80 | (126 + random.Next(2))), 0xFF, 0xFF]);
                    break;
            }
        }

        return bytes.ToArray();
    }
}
