using System.Buffers;
using System.Text;

namespace WsFast.Protocol;

/// <summary>The few pieces of RFC 7230 grammar the handshake needs, over raw bytes.</summary>
internal static class HandshakeSyntax
{
    // tchar of RFC 7230 section 3.2.6.
    private static readonly SearchValues<byte> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // Control characters other than HTAB, and DEL: never allowed in a field value (RFC 7230 section 3.2).
    private static readonly SearchValues<byte> ForbiddenInValue = SearchValues.Create(
    [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F,
    ]);

    public static bool IsTokenChar(byte b) => TokenChars.Contains(b);

    public static bool IsToken(ReadOnlySpan<byte> text) => !text.IsEmpty && !text.ContainsAnyExcept(TokenChars);

    public static bool IsToken(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c > 0x7F || !IsTokenChar((byte)c))
            {
                return false;
            }
        }

        return !text.IsEmpty;
    }

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t';

    public static bool IsFieldValue(ReadOnlySpan<byte> value) => !value.ContainsAny(ForbiddenInValue);

    // What a response may carry: visible ASCII, space and tab, so that no caller can split the response.
    public static bool IsAsciiFieldValue(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (c is not ('\t' or (>= ' ' and <= '~')))
            {
                return false;
            }
        }

        return true;
    }

    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> text)
    {
        int start = 0;
        while (start < text.Length && IsWhitespace(text[start]))
        {
            start++;
        }

        int end = text.Length;
        while (end > start && IsWhitespace(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }

    /// <summary>
    /// Takes the next element of a comma-separated list (RFC 7230 section 7), trimmed of whitespace. Empty
    /// elements are returned as empty spans: the list rule lets recipients ignore them.
    /// </summary>
    public static ReadOnlySpan<byte> NextListElement(ref ReadOnlySpan<byte> list)
    {
        int comma = list.IndexOf((byte)',');
        ReadOnlySpan<byte> element;
        if (comma < 0)
        {
            element = list;
            list = default;
        }
        else
        {
            element = list[..comma];
            list = list[(comma + 1)..];
        }

        return TrimWhitespace(element);
    }

    /// <summary>Whether a comma-separated token list holds <paramref name="token"/>, ignoring ASCII case.</summary>
    public static bool ListContains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        while (!list.IsEmpty)
        {
            if (Ascii.EqualsIgnoreCase(NextListElement(ref list), token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether every non-empty element of a comma-separated list is a token.</summary>
    public static bool IsTokenList(ReadOnlySpan<byte> list)
    {
        while (!list.IsEmpty)
        {
            ReadOnlySpan<byte> element = NextListElement(ref list);
            if (!element.IsEmpty && !IsToken(element))
            {
                return false;
            }
        }

        return true;
    }
}
