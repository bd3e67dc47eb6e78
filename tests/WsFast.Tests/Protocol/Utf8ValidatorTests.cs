using System.Text;
using System.Text.Unicode;
using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class Utf8ValidatorTests
{
    // A plain reading of Unicode table 3-7, one byte at a time. FailAt is the index of the first byte that
    // can no longer be part of valid UTF-8 (-1 when there is none); Complete is false when the bytes are
    // valid so far but end inside a code point.
    private static (int FailAt, bool Complete) Reference(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            byte lead = bytes[i];
            int continuations;
            byte secondLow = 0x80;
            byte secondHigh = 0xBF;
            switch (lead)
            {
                case <= 0x7F:
                    i++;
                    continue;
                case >= 0xC2 and <= 0xDF:
                    continuations = 1;
                    break;
                case 0xE0:
                    continuations = 2;
                    secondLow = 0xA0;
                    break;
                case 0xED:
                    continuations = 2;
                    secondHigh = 0x9F;
                    break;
                case >= 0xE1 and <= 0xEF:
                    continuations = 2;
                    break;
                case 0xF0:
                    continuations = 3;
                    secondLow = 0x90;
                    break;
                case >= 0xF1 and <= 0xF3:
                    continuations = 3;
                    break;
                case 0xF4:
                    continuations = 3;
                    secondHigh = 0x8F;
                    break;
                default:
                    return (i, false);
            }

            for (int k = 1; k <= continuations; k++)
            {
                if (i + k == bytes.Length)
                {
                    return (-1, false);
                }

                byte low = k == 1 ? secondLow : (byte)0x80;
                byte high = k == 1 ? secondHigh : (byte)0xBF;
                byte b = bytes[i + k];
                if (b < low || b > high)
                {
                    return (i + k, false);
                }
            }

            i += continuations + 1;
        }

        return (-1, true);
    }

    // Feeds the bytes in chunks that end at the given split points, and checks the validator against the
    // reference: every chunk before the one holding the first bad byte passes, that chunk fails, and a
    // sequence without a bad byte ends complete exactly when the reference says so.
    private static void AssertChunked(byte[] bytes, IEnumerable<int> splits)
    {
        (int failAt, bool complete) = Reference(bytes);
        var validator = new Utf8Validator();
        int start = 0;
        foreach (int end in splits.Append(bytes.Length))
        {
            bool ok = validator.Validate(bytes.AsSpan(start, end - start));
            bool badByteInChunk = failAt >= start && failAt < end;
            if (badByteInChunk)
            {
                Assert.False(ok, $"{Convert.ToHexString(bytes)} split at {end}: should fail at byte {failAt}");
                Assert.True(validator.HasFailed);
                return;
            }

            Assert.True(ok, $"{Convert.ToHexString(bytes)} split at {end}: failed early, reference fails at {failAt}");
            start = end;
        }

        Assert.False(validator.HasFailed);
        Assert.Equal(complete, validator.IsComplete);
    }

    private static void AssertWhole(byte[] bytes)
    {
        (int failAt, bool complete) = Reference(bytes);
        bool valid = failAt < 0 && complete;
        Assert.Equal(valid, Utf8.IsValid(bytes));
        Assert.Equal(valid, Utf8Validator.IsValid(bytes));

        var validator = new Utf8Validator();
        Assert.Equal(failAt < 0, validator.Validate(bytes));
        Assert.Equal(valid, validator.IsComplete);
    }

    private static void AssertEverySplit(byte[] bytes)
    {
        AssertWhole(bytes);
        for (int split = 0; split <= bytes.Length; split++)
        {
            AssertChunked(bytes, [split]);
        }

        AssertChunked(bytes, Enumerable.Range(1, Math.Max(0, bytes.Length - 1)));
    }

    private static int FailingByteWhenFedOneByOne(byte[] bytes)
    {
        var validator = new Utf8Validator();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!validator.Validate(bytes.AsSpan(i, 1)))
            {
                return i;
            }
        }

        return -1;
    }

    [Fact]
    public void ReferenceAgreesWithTheFramework()
    {
        // Guards the test's own reference before everything else leans on it.
        var random = new Random(3629);
        for (int n = 0; n < 20_000; n++)
        {
            byte[] bytes = new byte[random.Next(0, 12)];
            random.NextBytes(bytes);
            (int failAt, bool complete) = Reference(bytes);
            Assert.Equal(Utf8.IsValid(bytes), failAt < 0 && complete);
        }
    }

    [Fact]
    public void EveryOneByteSequence()
    {
        for (int a = 0; a < 256; a++)
        {
            AssertEverySplit([(byte)a]);
        }
    }

    [Fact]
    public void EveryTwoByteSequence()
    {
        for (int a = 0; a < 256; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                AssertEverySplit([(byte)a, (byte)b]);
            }
        }
    }

    [Fact]
    public void EveryThreeByteSequenceWithAThreeByteLead()
    {
        byte[] bytes = new byte[3];
        for (int a = 0xE0; a <= 0xEF; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                for (int c = 0; c < 256; c++)
                {
                    bytes[0] = (byte)a;
                    bytes[1] = (byte)b;
                    bytes[2] = (byte)c;
                    AssertWhole(bytes);
                    AssertChunked(bytes, [1]);
                    AssertChunked(bytes, [2]);
                }
            }
        }
    }

    [Fact]
    public void FourByteSequencesAroundEveryBoundary()
    {
        byte[] edges = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF];
        byte[] bytes = new byte[4];
        for (int a = 0xF0; a <= 0xF5; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                foreach (byte c in edges)
                {
                    foreach (byte d in edges)
                    {
                        bytes[0] = (byte)a;
                        bytes[1] = (byte)b;
                        bytes[2] = c;
                        bytes[3] = d;
                        AssertWhole(bytes);
                        AssertChunked(bytes, [1]);
                        AssertChunked(bytes, [2]);
                        AssertChunked(bytes, [3]);
                    }
                }
            }
        }
    }

    [Fact]
    public void RandomTextWithAndWithoutDamageInRandomChunks()
    {
        var random = new Random(8259);
        for (int round = 0; round < 3000; round++)
        {
            byte[] bytes = RandomText(random, random.Next(0, 120));
            if (round % 2 == 1 && bytes.Length > 0)
            {
                // Damage one byte so that many failures fall in the middle of long, otherwise valid runs.
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            AssertWhole(bytes);
            AssertChunked(bytes, RandomSplits(random, bytes.Length));
            AssertChunked(bytes, Enumerable.Range(1, Math.Max(0, bytes.Length - 1)));
        }
    }

    [Fact]
    public void RandomBytesInRandomChunks()
    {
        var random = new Random(1044);
        for (int round = 0; round < 20_000; round++)
        {
            byte[] bytes = new byte[random.Next(0, 16)];
            random.NextBytes(bytes);
            AssertWhole(bytes);
            AssertChunked(bytes, RandomSplits(random, bytes.Length));
        }
    }

    [Theory]
    [InlineData("C0")]
    [InlineData("C1")]
    [InlineData("F5")]
    [InlineData("F8")]
    [InlineData("FE")]
    [InlineData("FF")]
    [InlineData("80")]
    [InlineData("BF")]
    public void ByteThatCanNeverStartAValidSequenceFailsAtOnce(string hex)
    {
        var validator = new Utf8Validator();
        Assert.False(validator.Validate(Convert.FromHexString(hex)));
        Assert.True(validator.HasFailed);
    }

    [Fact]
    public void EveryImpossibleLeadFailsAtOnce()
    {
        for (int b = 0xF5; b <= 0xFF; b++)
        {
            Assert.False(new Utf8Validator().Validate([(byte)b]));
        }
    }

    [Theory]
    [InlineData("E080", 1)]             // overlong 3-byte form
    [InlineData("EDA0", 1)]             // a surrogate, U+D800
    [InlineData("EDBFBF", 1)]           // a surrogate, U+DFFF
    [InlineData("F080", 1)]             // overlong 4-byte form
    [InlineData("F490", 1)]             // above U+10FFFF
    [InlineData("C041", 0)]             // overlong 2-byte lead
    [InlineData("E28241", 2)]           // a code point cut short by ASCII
    [InlineData("41424380", 3)]         // a stray continuation byte
    [InlineData("CEBAE1BDB9CEBCCEB5EDA080656469746564", 10)] // κόσμε, then a surrogate
    public void FailsExactlyAtTheFirstByteThatCanNoLongerBeValid(string hex, int failAt)
    {
        byte[] bytes = Convert.FromHexString(hex);
        Assert.Equal(failAt, Reference(bytes).FailAt);
        Assert.Equal(failAt, FailingByteWhenFedOneByOne(bytes));
        Assert.False(new Utf8Validator().Validate(bytes));
        AssertEverySplit(bytes);
    }

    [Fact]
    public void AutobahnStyleSurrogateFailsAtItsSecondByteWhateverComesBefore()
    {
        byte[] bytes = Convert.FromHexString("CEBAE1BDB9CEBCCEB5EDA080656469746564");
        for (int prefix = 0; prefix <= 70; prefix++)
        {
            byte[] padded = [.. Enumerable.Repeat((byte)'a', prefix), .. bytes];
            Assert.Equal(prefix + 10, FailingByteWhenFedOneByOne(padded));
            AssertEverySplit(padded);
        }
    }

    [Fact]
    public void CodePointSplitAcrossChunksIsValidAndCompleteOnlyAfterItsLastByte()
    {
        byte[] euro = [0xE2, 0x82, 0xAC];
        Assert.Equal(Encoding.UTF8.GetBytes("\u20ac"), euro);

        var validator = new Utf8Validator();
        Assert.True(validator.Validate(euro.AsSpan(0, 1)));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Validate(euro.AsSpan(1, 1)));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Validate(euro.AsSpan(2, 1)));
        Assert.True(validator.IsComplete);

        validator.Reset();
        Assert.True(validator.Validate(euro.AsSpan(0, 2)));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Validate(euro.AsSpan(2)));
        Assert.True(validator.IsComplete);
    }

    [Theory]
    [InlineData("C3")]
    [InlineData("E282")]
    [InlineData("F09F98")]
    [InlineData("48656C6C6FF09F")]
    public void TruncatedSequenceIsNotComplete(string hex)
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Validate(Convert.FromHexString(hex)));
        Assert.False(validator.IsComplete);
        Assert.False(validator.HasFailed);
    }

    [Fact]
    public void FailureIsFinalUntilReset()
    {
        var validator = new Utf8Validator();
        Assert.False(validator.Validate([0xFF]));
        Assert.False(validator.Validate("valid"u8));
        Assert.False(validator.Validate(default));
        Assert.True(validator.HasFailed);
        Assert.False(validator.IsComplete);

        validator.Reset();
        Assert.True(validator.Validate("valid"u8));
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void EmptyInputIsValidAndComplete()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Validate(default));
        Assert.True(validator.IsComplete);
        Assert.False(validator.HasFailed);
    }

    private static byte[] RandomText(Random random, int codePoints)
    {
        var text = new StringBuilder();
        for (int i = 0; i < codePoints; i++)
        {
            int scalar = random.Next(4) switch
            {
                0 => random.Next(0, 0x80),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(0x800, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            if (scalar is >= 0xD800 and <= 0xDFFF)
            {
                scalar = 'x';
            }

            text.Append(char.ConvertFromUtf32(scalar));
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static int[] RandomSplits(Random random, int length)
    {
        int count = length == 0 ? 0 : random.Next(0, Math.Min(length, 8));
        return Enumerable.Range(0, count).Select(_ => random.Next(0, length + 1)).Order().ToArray();
    }
}
