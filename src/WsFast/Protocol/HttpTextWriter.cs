using System.Globalization;
using System.Text;

namespace WsFast.Protocol;

/// <summary>
/// Appends the ASCII text of a response to a span. It keeps counting past the end of the span, so the same
/// code both writes a response and measures how much room it needs.
/// </summary>
internal ref struct HttpTextWriter
{
    private readonly Span<byte> _destination;
    private int _length;

    public HttpTextWriter(Span<byte> destination)
    {
        _destination = destination;
        _length = 0;
    }

    /// <summary>How many bytes the text takes, whether or not it fitted.</summary>
    public readonly int Length => _length;

    /// <summary>Whether everything written so far fitted into the span.</summary>
    public readonly bool Fits => _length <= _destination.Length;

    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        if (_length + bytes.Length <= _destination.Length)
        {
            bytes.CopyTo(_destination[_length..]);
        }

        _length += bytes.Length;
    }

    // Callers check that the text is ASCII before it gets here.
    public void Write(scoped ReadOnlySpan<char> ascii)
    {
        if (_length + ascii.Length <= _destination.Length)
        {
            Ascii.FromUtf16(ascii, _destination[_length..], out _);
        }

        _length += ascii.Length;
    }

    public void Write(long number)
    {
        Span<byte> digits = stackalloc byte[20];
        number.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
        Write(digits[..written]);
    }

    public void WriteHeader(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        Write(name);
        Write(": "u8);
        Write(value);
        Write("\r\n"u8);
    }

    public void WriteHeader(scoped ReadOnlySpan<char> name, scoped ReadOnlySpan<char> value)
    {
        Write(name);
        Write(": "u8);
        Write(value);
        Write("\r\n"u8);
    }
}
