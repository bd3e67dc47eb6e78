using System.Text.Unicode;

namespace WsFast.Protocol;

/// <summary>
/// Incremental UTF-8 validation (RFC 3629, Unicode table 3-7) for text messages that arrive in pieces.
/// </summary>
/// <remarks>
/// A code point may be split across reads, frames and fragments, so the validator carries the state of an
/// unfinished sequence. It fails at the first byte that can no longer become valid: <c>F4 90</c> fails at
/// <c>90</c> (above U+10FFFF) and <c>ED A0</c> at <c>A0</c> (a surrogate), without waiting for more bytes.
/// The bulk of each chunk goes through the vectorized <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>; only the
/// few bytes around chunk boundaries walk the state machine.
/// </remarks>
internal struct Utf8Validator
{
    // States of the boundary state machine: what the next byte must be.
    private const byte Accept = 0;   // at a code point boundary
    private const byte Need1 = 1;    // one more continuation byte 80..BF
    private const byte Need2 = 2;    // two more
    private const byte Need3 = 3;    // three more
    private const byte AfterE0 = 4;  // A0..BF, then one more (no overlong 3-byte forms)
    private const byte AfterED = 5;  // 80..9F, then one more (no surrogates)
    private const byte AfterF0 = 6;  // 90..BF, then two more (no overlong 4-byte forms)
    private const byte AfterF4 = 7;  // 80..8F, then two more (nothing above U+10FFFF)
    private const byte Reject = 8;   // can never become valid

    private byte _state;

    /// <summary>True when every byte seen so far forms complete, valid code points.</summary>
    public readonly bool IsComplete => _state == Accept;

    /// <summary>True once a byte was seen that can no longer become valid.</summary>
    public readonly bool HasFailed => _state == Reject;

    /// <summary>Forgets everything seen, ready for a new message.</summary>
    public void Reset() => _state = Accept;

    /// <summary>
    /// Feeds the next bytes of a message. Returns false as soon as they can no longer be part of valid UTF-8;
    /// true when they are valid or may still become valid (a code point left open at the end). At the end of
    /// the message the caller also checks <see cref="IsComplete"/>.
    /// </summary>
    public bool Validate(ReadOnlySpan<byte> bytes)
    {
        // Once failed, a message stays failed, even when the next chunk is empty.
        if (_state == Reject)
        {
            return false;
        }

        byte state = _state;
        int i = 0;

        // Finish a code point the previous chunk left open.
        while (state != Accept && i < bytes.Length)
        {
            state = Step(state, bytes[i++]);
            if (state == Reject)
            {
                _state = Reject;
                return false;
            }
        }

        if (i < bytes.Length)
        {
            ReadOnlySpan<byte> rest = bytes.Slice(i);
            int tail = IncompleteTailStart(rest);
            if (!Utf8.IsValid(rest.Slice(0, tail)))
            {
                _state = Reject;
                return false;
            }

            for (int j = tail; j < rest.Length; j++)
            {
                state = Step(state, rest[j]);
                if (state == Reject)
                {
                    _state = Reject;
                    return false;
                }
            }
        }

        _state = state;
        return true;
    }

    /// <summary>Validates a complete, self-contained piece of text, such as a close reason.</summary>
    public static bool IsValid(ReadOnlySpan<byte> bytes) => Utf8.IsValid(bytes);

    // Where a multi-byte sequence that the chunk cuts short begins; the chunk length when none does.
    private static int IncompleteTailStart(ReadOnlySpan<byte> bytes)
    {
        int length = bytes.Length;
        int lookBack = Math.Min(3, length);
        for (int k = 1; k <= lookBack; k++)
        {
            byte b = bytes[length - k];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: its lead is further back
            }

            if (b < 0x80)
            {
                return length; // ASCII: nothing is left open
            }

            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            return needed > k ? length - k : length;
        }

        return length;
    }

    private static byte Step(byte state, byte b) => state switch
    {
        Accept => b switch
        {
            < 0x80 => Accept,
            < 0xC2 => Reject, // a stray continuation byte, or an overlong 2-byte lead (C0, C1)
            < 0xE0 => Need1,
            0xE0 => AfterE0,
            0xED => AfterED,
            < 0xF0 => Need2,
            0xF0 => AfterF0,
            < 0xF4 => Need3,
            0xF4 => AfterF4,
            _ => Reject,      // F5..FF never appear in UTF-8
        },
        Need1 => IsContinuation(b) ? Accept : Reject,
        Need2 => IsContinuation(b) ? Need1 : Reject,
        Need3 => IsContinuation(b) ? Need2 : Reject,
        AfterE0 => b is >= 0xA0 and <= 0xBF ? Need1 : Reject,
        AfterED => b is >= 0x80 and <= 0x9F ? Need1 : Reject,
        AfterF0 => b is >= 0x90 and <= 0xBF ? Need2 : Reject,
        AfterF4 => b is >= 0x80 and <= 0x8F ? Need2 : Reject,
        _ => Reject,
    };

    private static bool IsContinuation(byte b) => (b & 0xC0) == 0x80;
}
