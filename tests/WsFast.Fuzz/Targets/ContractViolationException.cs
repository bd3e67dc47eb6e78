namespace WsFast.Fuzz.Targets;

/// <summary>
/// A fuzz target found input that breaks the sans-I/O contract of the code it drives. Thrown on purpose so
/// AFL counts it as a crash; any other exception escaping a target is a crash too.
/// </summary>
public sealed class ContractViolationException : Exception
{
    /// <summary>Creates the exception with what was broken and on which input.</summary>
    public ContractViolationException(string message)
        : base(message)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> does not hold.</summary>
    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new ContractViolationException(what);
        }
    }
}
