namespace WsFast.Load.Engine;

/// <summary>
/// How many clients run and for how long, in the manner of NBomber's load simulations. Only
/// <see cref="KeepConstant"/> exists so far; an inject-rate simulation would be another subclass.
/// </summary>
public abstract record LoadSimulation
{
    /// <summary>Number of clients the simulation runs at its peak.</summary>
    public abstract int PeakClients { get; }

    /// <summary>Length of the measurement window.</summary>
    public abstract TimeSpan During { get; }

    /// <summary>Short description for reports.</summary>
    public abstract string Describe();

    /// <summary>
    /// Keeps <paramref name="Copies"/> clients running: they are started evenly over <paramref name="RampUp"/>,
    /// then, after <paramref name="Settle"/> (which lets the server and both JITs warm up and the memory of a
    /// freshly connected crowd settle), measured for <paramref name="Window"/>.
    /// </summary>
    public sealed record KeepConstant(int Copies, TimeSpan Window, TimeSpan RampUp, TimeSpan Settle) : LoadSimulation
    {
        /// <inheritdoc/>
        public override int PeakClients => Copies;

        /// <inheritdoc/>
        public override TimeSpan During => Window;

        /// <inheritdoc/>
        public override string Describe() =>
            $"keep {Copies} clients constant for {Window.TotalSeconds:0.#} s (ramp-up {RampUp.TotalSeconds:0.#} s, settle {Settle.TotalSeconds:0.#} s)";
    }
}
