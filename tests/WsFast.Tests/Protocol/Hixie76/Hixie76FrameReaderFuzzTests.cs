using System.Text;

namespace WsFast.Tests.Protocol.Hixie76;

/// <summary>
/// Seeded random and mutation fuzzing of the draft-76 frame reader, in the manner of <see cref="FrameReaderFuzzTests"/>:
/// valid streams decode to exactly what was encoded at any split; mutated streams end in text, a close or a
/// defined error, never an exception, and never a message beyond the limit. <c>WSFAST_FUZZ_ITERATIONS</c>
/// raises the count.
/// </summary>
public class Hixie76FrameReaderFuzzTests
{
    private const int MaxMessage = 512;

    [Fact]
    public void Random_valid_streams_decode_to_what_was_encoded_at_random_splits()
    {
        var random = new Random(76);
        int iterations = FrameReaderFuzzTests.Iterations(50_000);
        for (int i = 0; i < iterations; i++)
        {
            (byte[] input, List<string> expected) = RandomStream(random);
            var reader = new Hixie76FrameInput(MaxMessage);
            FeedInRandomPieces(random, reader, input);
            if (!expected.SequenceEqual(reader.Events))
            {
                Assert.Fail($"iteration {i}: input {Convert.ToHexString(input)}\nexpected {string.Join(" ", expected)}\nactual   {string.Join(" ", reader.Events)}");
            }
        }
    }

    [Fact]
    public void Mutated_streams_end_in_text_a_close_or_a_defined_error()
    {
        var random = new Random(1976);
        int iterations = FrameReaderFuzzTests.Iterations(100_000);
        for (int i = 0; i < iterations; i++)
        {
            (byte[] input, _) = RandomStream(random);
            byte[] mutated = Mutate(random, input);
            var reader = new Hixie76FrameInput(MaxMessage);
            try
            {
                FeedInRandomPieces(random, reader, mutated);
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: input {Convert.ToHexString(mutated)} threw {e}");
            }

            Assert.True(reader.LargestMessage <= MaxMessage, $"iteration {i} assembled {reader.LargestMessage} bytes");
            for (int e = 0; e < reader.Events.Count; e++)
            {
                string name = reader.Events[e];
                Assert.True(name.StartsWith("text:", StringComparison.Ordinal) || name is "close" or "MessageTooBig" or "InvalidUtf8", name);
                if (name.StartsWith("text:", StringComparison.Ordinal))
                {
                    Assert.True(WsFast.Protocol.Utf8Validator.IsValid(Convert.FromHexString(name[5..])));
                }
                else
                {
                    Assert.Equal(reader.Events.Count - 1, e);   // nothing follows a close or an error
                }
            }
        }
    }

    private static void FeedInRandomPieces(Random random, Hixie76FrameInput reader, byte[] input)
    {
        int offset = 0;
        while (offset < input.Length && !reader.Ended)
        {
            int take = random.Next(4) == 0 ? 1 : random.Next(1, input.Length - offset + 1);
            byte[] piece = input[offset..(offset + take)];
            int[] cuts = random.Next(3) == 0 && piece.Length > 1 ? [random.Next(1, piece.Length)] : [];
            reader.Feed(piece, cuts);
            offset += take;
        }
    }

    private static readonly string[] Alphabet = ["a", "Z", " ", "é", "κ", "€", "✓", "😀", "中", "\u0000"];

    private static (byte[] Input, List<string> Expected) RandomStream(Random random)
    {
        var bytes = new List<byte>();
        var expected = new List<string>();
        int frames = random.Next(1, 6);
        for (int f = 0; f < frames; f++)
        {
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    var text = new StringBuilder();
                    int length = random.Next(random.Next(4) == 0 ? 150 : 20);
                    for (int c = 0; c < length; c++)
                    {
                        text.Append(Alphabet[random.Next(Alphabet.Length)]);
                    }

                    byte[] utf8 = Encoding.UTF8.GetBytes(text.ToString());
                    bytes.Add(0x00);
                    bytes.AddRange(utf8);
                    bytes.Add(0xFF);
                    expected.Add("text:" + Convert.ToHexString(utf8));
                    break;
                case 2:
                    // A length-prefixed frame (never 0xFF with length 0, the close), discarded.
                    int discard = random.Next(1, random.Next(4) == 0 ? 400 : 30);
                    bytes.Add((byte)(0x80 | random.Next(0x7F)));
                    if (discard >= 128)
                    {
                        bytes.Add((byte)(0x80 | (discard >> 7)));
                    }

                    bytes.Add((byte)(discard & 0x7F));
                    var noise = new byte[discard];
                    random.NextBytes(noise);
                    bytes.AddRange(noise);
                    break;
                default:
                    // A sentinel frame of another type: any bytes but 0xFF, discarded.
                    bytes.Add((byte)random.Next(1, 0x80));
                    for (int b = random.Next(20); b > 0; b--)
                    {
                        bytes.Add((byte)random.Next(0xFF));
                    }

                    bytes.Add(0xFF);
                    break;
            }
        }

        if (random.Next(2) == 0)
        {
            bytes.AddRange([0xFF, 0x00]);
            expected.Add("close");
        }

        return (bytes.ToArray(), expected);
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
                    // Length-shaped noise: a high-bit type and long runs of continuation bytes.
                    bytes.InsertRange(at, [(byte)(0x80 | random.Next(128)), 0xFF, 0xFF, 0xFF, (byte)random.Next(128)]);
                    break;
            }
        }

        return bytes.ToArray();
    }
}
