using System.Globalization;

namespace WsFast.Server;

/// <summary>
/// Collects every setting out of its range, each named by its path, so that one error lists them all: in code
/// <c>Broadcast.HistorySize</c>; read from configuration, as it is written there, <c>WsFast:Broadcast:HistorySize</c>.
/// </summary>
internal sealed class OptionsCheck
{
    private readonly string _prefix;
    private readonly char _separator;
    private readonly Outcome _outcome; // shared with the checks of nested sections

    /// <param name="prefix">What goes before every setting's name: empty, or the configuration section's path and its separator.</param>
    /// <param name="separator">What joins a section's name to its settings' names: '.' in code, ':' in configuration.</param>
    public OptionsCheck(string prefix = "", char separator = '.')
        : this(prefix, separator, [])
    {
    }

    private OptionsCheck(string prefix, char separator, List<string> problems, Outcome? outcome = null)
    {
        _outcome = outcome ?? new Outcome();
        _prefix = prefix;
        _separator = separator;
        Problems = problems;
    }

    /// <summary>'.' in code, ':' in configuration.</summary>
    public char Separator => _separator;

    /// <summary>One sentence per problem.</summary>
    public List<string> Problems { get; }

    /// <summary>The same check for the settings of a nested section (<c>Broadcast</c>, <c>Tls</c>).</summary>
    public OptionsCheck Section(string name) => new(_prefix + name + _separator, _separator, Problems, _outcome);

    /// <summary>A setting's full name, e.g. <c>WsFast:MaxMessageSize</c>.</summary>
    public string Name(string setting) => _prefix + setting;

    /// <summary>Records that <paramref name="setting"/> <paramref name="problem"/> (a predicate: "must be ...").</summary>
    public void Fail(string setting, string problem)
    {
        Problems.Add($"{Name(setting)} {problem}.");
        _outcome.OnlyRanges = false;
    }

    // A value out of its range: thrown as ArgumentOutOfRangeException when every problem is one.
    private void OutOfRange(string setting, string problem)
    {
        bool onlyRanges = _outcome.OnlyRanges;
        Fail(setting, problem);
        _outcome.OnlyRanges = onlyRanges;
        _outcome.FirstOutOfRange ??= Name(setting);
    }

    public void Positive(TimeSpan value, string setting)
    {
        if (value <= TimeSpan.Zero)
        {
            OutOfRange(setting, $"must be positive (was {value.ToString("c", CultureInfo.InvariantCulture)})");
        }
    }

    public void NotNegative(TimeSpan value, string setting)
    {
        if (value < TimeSpan.Zero)
        {
            OutOfRange(setting, $"must not be negative (was {value.ToString("c", CultureInfo.InvariantCulture)})");
        }
    }

    public void AtLeast(double value, double least, string setting)
    {
        if (!(value >= least) || double.IsInfinity(value))
        {
            OutOfRange(setting, $"must be at least {least.ToString(CultureInfo.InvariantCulture)} (was {value.ToString(CultureInfo.InvariantCulture)})");
        }
    }

    public void AtLeast(long value, long least, string setting)
    {
        if (value < least)
        {
            OutOfRange(setting, $"must be at least {least} (was {value})");
        }
    }

    public void Range(long value, long least, long most, string setting)
    {
        if (value < least || value > most)
        {
            OutOfRange(setting, $"must be from {least} to {most} (was {value})");
        }
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> listing every problem, if any: an
    /// <see cref="ArgumentOutOfRangeException"/> when each is a value out of its range.
    /// </summary>
    public void ThrowIfAny()
    {
        if (Problems.Count > 0)
        {
            string message = string.Join(" ", Problems);
            throw _outcome.OnlyRanges ? new ArgumentOutOfRangeException(_outcome.FirstOutOfRange, message) : new ArgumentException(message);
        }
    }

    private sealed class Outcome
    {
        public bool OnlyRanges = true;

        public string? FirstOutOfRange;
    }
}
