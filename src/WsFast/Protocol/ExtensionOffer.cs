using System.Text;
using WsFast.Protocol;

namespace WsFast;

/// <summary>
/// One extension a client offers in <c>Sec-WebSocket-Extensions</c> (RFC 6455 section 9.1), with its
/// parameters in the order sent: <c>permessage-deflate; client_max_window_bits</c> is the offer
/// <c>permessage-deflate</c> with the valueless parameter <c>client_max_window_bits</c>.
/// </summary>
public sealed class ExtensionOffer
{
    internal ExtensionOffer(string name, IReadOnlyList<ExtensionParameter> parameters)
    {
        Name = name;
        Parameters = parameters;
    }

    /// <summary>The extension token, as sent.</summary>
    public string Name { get; }

    /// <summary>The parameters, in the order sent.</summary>
    public IReadOnlyList<ExtensionParameter> Parameters { get; }

    /// <summary>Whether the offer carries a parameter named <paramref name="name"/> (ASCII case ignored).</summary>
    public bool HasParameter(string name) => IndexOf(name) >= 0;

    /// <summary>
    /// The value of the parameter named <paramref name="name"/> (ASCII case ignored); null when it is absent
    /// or has no value.
    /// </summary>
    public string? GetParameterValue(string name)
    {
        int index = IndexOf(name);
        return index < 0 ? null : Parameters[index].Value;
    }

    /// <summary>The offer in header syntax, e.g. <c>permessage-deflate; client_max_window_bits</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Name);
        foreach (ExtensionParameter parameter in Parameters)
        {
            text.Append("; ").Append(parameter.Name);
            if (parameter.Value is not null)
            {
                text.Append('=').Append(parameter.Value);
            }
        }

        return text.ToString();
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (string.Equals(Parameters[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Parses one <c>Sec-WebSocket-Extensions</c> value into <paramref name="offers"/>, or only checks its
    /// syntax when <paramref name="offers"/> is null (so that a bad header is refused before anything is
    /// allocated). Whitespace is allowed around <c>,</c>, <c>;</c> and <c>=</c>, and empty list elements are
    /// skipped, as RFC 7230 section 7 asks; a quoted value must unquote to a token (RFC 6455 section 9.1).
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<byte> value, List<ExtensionOffer>? offers)
    {
        int i = 0;
        while (true)
        {
            while (i < value.Length && (value[i] == (byte)',' || HandshakeSyntax.IsWhitespace(value[i])))
            {
                i++;
            }

            if (i == value.Length)
            {
                return true;
            }

            ReadOnlySpan<byte> name = ReadToken(value, ref i);
            if (name.IsEmpty)
            {
                return false;
            }

            List<ExtensionParameter>? parameters = null;
            SkipWhitespace(value, ref i);
            while (i < value.Length && value[i] == (byte)';')
            {
                i++;
                SkipWhitespace(value, ref i);
                ReadOnlySpan<byte> parameterName = ReadToken(value, ref i);
                if (parameterName.IsEmpty)
                {
                    return false;
                }

                SkipWhitespace(value, ref i);
                string? parameterValue = null;
                if (i < value.Length && value[i] == (byte)'=')
                {
                    i++;
                    SkipWhitespace(value, ref i);
                    if (!TryReadValue(value, ref i, offers is not null, out parameterValue))
                    {
                        return false;
                    }

                    SkipWhitespace(value, ref i);
                }

                if (offers is not null)
                {
                    parameters ??= new List<ExtensionParameter>(2);
                    parameters.Add(new ExtensionParameter(Encoding.ASCII.GetString(parameterName), parameterValue));
                }
            }

            if (i < value.Length && value[i] != (byte)',')
            {
                return false;
            }

            offers?.Add(new ExtensionOffer(
                Encoding.ASCII.GetString(name),
                parameters is null ? Array.Empty<ExtensionParameter>() : parameters.AsReadOnly()));
        }
    }

    // A token, or a quoted-string whose unquoted content is a token. The string is only made when asked for.
    private static bool TryReadValue(ReadOnlySpan<byte> text, ref int i, bool materialize, out string? value)
    {
        value = null;
        if (i < text.Length && text[i] != (byte)'"')
        {
            ReadOnlySpan<byte> token = ReadToken(text, ref i);
            if (token.IsEmpty)
            {
                return false;
            }

            value = materialize ? Encoding.ASCII.GetString(token) : null;
            return true;
        }

        int start = ++i;
        int length = 0;
        while (i < text.Length && text[i] != (byte)'"')
        {
            if (text[i] == (byte)'\\')
            {
                i++;
            }

            if (i == text.Length || !HandshakeSyntax.IsTokenChar(text[i]))
            {
                return false;
            }

            i++;
            length++;
        }

        if (i == text.Length || length == 0)
        {
            return false; // unterminated, or an empty value, which is no token
        }

        ReadOnlySpan<byte> quoted = text[start..i];
        i++;
        if (materialize)
        {
            value = Unquote(quoted, length);
        }

        return true;
    }

    private static string Unquote(ReadOnlySpan<byte> quoted, int length)
    {
        Span<char> chars = length <= 256 ? stackalloc char[256] : new char[length];
        int n = 0;
        for (int j = 0; j < quoted.Length; j++)
        {
            if (quoted[j] == (byte)'\\')
            {
                j++;
            }

            chars[n++] = (char)quoted[j];
        }

        return new string(chars[..n]);
    }

    private static ReadOnlySpan<byte> ReadToken(ReadOnlySpan<byte> text, ref int i)
    {
        int start = i;
        while (i < text.Length && HandshakeSyntax.IsTokenChar(text[i]))
        {
            i++;
        }

        return text[start..i];
    }

    private static void SkipWhitespace(ReadOnlySpan<byte> text, ref int i)
    {
        while (i < text.Length && HandshakeSyntax.IsWhitespace(text[i]))
        {
            i++;
        }
    }
}
