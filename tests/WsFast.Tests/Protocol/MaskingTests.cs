using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class MaskingTests
{
    private static readonly byte[] RfcKey = [0x37, 0xfa, 0x21, 0x3d];

    public static TheoryData<uint> Keys => new() { 0x3d21fa37u, 0x00000000u, 0xFFFFFFFFu, 0x01020304u, 0xA5C3960Fu };

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] KeyBytes(uint key)
    {
        byte[] bytes = new byte[4];
        Masking.WriteKey(bytes, key);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void VectorizedEqualsScalarForEveryLengthOffsetAndAlignment(uint key)
    {
        const int MaxLength = 1100;
        const int MaxStart = 7;
        var random = new Random((int)key);
        byte[] source = RandomBytes(random, MaxStart + MaxLength + 8);
        byte[] keyBytes = KeyBytes(key);
        byte[] actual = new byte[source.Length];
        byte[] expected = new byte[source.Length];

        for (int start = 0; start <= MaxStart; start++)
        {
            for (int length = 0; length <= MaxLength; length++)
            {
                for (int keyOffset = 0; keyOffset < 4; keyOffset++)
                {
                    source.CopyTo(actual, 0);
                    source.CopyTo(expected, 0);

                    int actualNext = Masking.Apply(actual.AsSpan(start, length), key, keyOffset);
                    int expectedNext = Masking.ApplyScalar(expected.AsSpan(start, length), keyBytes, keyOffset);

                    Assert.Equal(expectedNext, actualNext);
                    Assert.Equal((keyOffset + length) & 3, actualNext);
                    if (!actual.AsSpan().SequenceEqual(expected))
                    {
                        // Comparing the whole array also proves no byte outside the slice was touched.
                        Assert.Fail($"start {start}, length {length}, key offset {keyOffset}: masked bytes differ");
                    }
                }
            }
        }
    }

    [Fact]
    public void MaskingInPiecesEqualsMaskingWhole()
    {
        var random = new Random(6455);
        for (int round = 0; round < 500; round++)
        {
            int length = random.Next(0, 3000);
            uint key = (uint)random.NextInt64(0, 1L << 32);
            byte[] source = RandomBytes(random, length);

            byte[] whole = (byte[])source.Clone();
            Masking.Apply(whole, key, 0);

            byte[] pieces = (byte[])source.Clone();
            int offset = 0;
            int position = 0;
            while (position < length)
            {
                // Mostly short pieces so that the scalar tail and the resumed key offset are exercised.
                int size = random.Next(4) == 0 ? random.Next(0, length - position + 1) : random.Next(0, 40);
                size = Math.Min(size, length - position);
                offset = Masking.Apply(pieces.AsSpan(position, size), key, offset);
                position += size;
            }

            Assert.Equal(length & 3, offset);
            Assert.Equal(whole, pieces);
        }
    }

    [Fact]
    public void RfcMaskedHelloExample()
    {
        // RFC 6455 section 5.7: a single-frame masked text message "Hello".
        uint key = Masking.ReadKey(RfcKey);
        byte[] payload = "Hello"u8.ToArray();

        Assert.Equal(1, Masking.Apply(payload, key, 0));
        Assert.Equal(new byte[] { 0x7f, 0x9f, 0x4d, 0x51, 0x58 }, payload);

        byte[] scalar = "Hello"u8.ToArray();
        Masking.ApplyScalar(scalar, RfcKey, 0);
        Assert.Equal(payload, scalar);
    }

    [Fact]
    public void RfcKeyOnALongPayloadMatchesTheSectionFiveThreeRule()
    {
        // Long enough for every vector width; each byte i is XORed with key byte i MOD 4.
        byte[] payload = new byte[1000];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)i;
        }

        Masking.Apply(payload, Masking.ReadKey(RfcKey), 0);
        for (int i = 0; i < payload.Length; i++)
        {
            Assert.Equal((byte)(i ^ RfcKey[i % 4]), payload[i]);
        }
    }

    [Fact]
    public void ReadKeyAndWriteKeyRoundTrip()
    {
        uint key = Masking.ReadKey(RfcKey);
        Assert.Equal(RfcKey, KeyBytes(key));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(64)]
    [InlineData(1001)]
    [InlineData(65536)]
    public void ApplyingTwiceRestoresTheInput(int length)
    {
        var random = new Random(length);
        byte[] source = RandomBytes(random, length);
        byte[] payload = (byte[])source.Clone();
        uint key = 0x9E3779B9u;

        for (int keyOffset = 0; keyOffset < 4; keyOffset++)
        {
            Masking.Apply(payload, key, keyOffset);
            if (length >= 4)
            {
                Assert.NotEqual(source, payload);
            }

            Masking.Apply(payload, key, keyOffset);
            Assert.Equal(source, payload);
        }
    }
}
