using System.Text.Unicode;
using WsFast.Protocol;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>utf8</c>: WsFast's incremental <see cref="Utf8Validator"/> (RFC 3629) against the runtime's
/// <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>, the input fed in the pieces <see cref="Splits"/> derives from it.
/// </summary>
public static class Utf8Target
{
    /// <summary>Validates <paramref name="input"/> in pieces; throws <see cref="ContractViolationException"/> on a disagreement.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        bool expected = Utf8.IsValid(input);
        ContractViolationException.Check(Utf8Validator.IsValid(input) == expected, $"Utf8Validator.IsValid disagrees on {Convert.ToHexString(input)}");

        int[] sizes = Splits.Sizes(input);
        var validator = new Utf8Validator();
        int offset = 0;
        int call = 0;
        bool failed = false;
        while (offset < input.Length)
        {
            int size = Math.Min(sizes[Math.Min(call, sizes.Length - 1)], input.Length - offset);
            ReadOnlySpan<byte> piece = input.Slice(offset, size);
            offset += size;
            call++;
            if (!validator.Validate(piece))
            {
                // A rejection is final and happens only when the bytes so far can no longer become valid:
                // no valid text starts with them.
                ContractViolationException.Check(validator.HasFailed, "Validate returned false without failing");
                ContractViolationException.Check(!CanBecomeValid(input[..offset]), $"rejected a valid prefix of {Convert.ToHexString(input)} at {offset}");
                ContractViolationException.Check(!validator.Validate([]), "a failed validator accepted an empty piece");
                failed = true;
                break;
            }
        }

        bool actual = !failed && validator.IsComplete;
        ContractViolationException.Check(actual == expected, $"chunked validation says {actual}, Utf8.IsValid says {expected} for {Convert.ToHexString(input)}");
    }

    // A prefix can become valid when it is valid up to an unfinished last code point that some continuation
    // bytes would complete: try every ending of one to three bytes of the largest and smallest continuations.
    private static bool CanBecomeValid(ReadOnlySpan<byte> prefix)
    {
        if (Utf8.IsValid(prefix))
        {
            return true;
        }

        Span<byte> extended = new byte[prefix.Length + 3];
        prefix.CopyTo(extended);
        for (int extra = 1; extra <= 3; extra++)
        {
            for (int low = 0x80; low <= 0xBF; low++)
            {
                extended.Slice(prefix.Length, extra).Fill((byte)low);
                if (Utf8.IsValid(extended[..(prefix.Length + extra)]))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
