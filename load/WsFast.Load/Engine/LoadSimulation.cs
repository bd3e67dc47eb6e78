namespace WsFast.Load.Engine;

/// <summary>
/// How many clients run, for how long, and optionally how fast, in the manner of NBomber's load simulations:
/// <see cref="KeepConstant"/> keeps N clients for D after a ramp-up, each working as fast as it can or, with
/// an inject rate, at its share of that rate.
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
        // A client that falls further behind its schedule than this skips the slots instead of bursting.
        private static readonly TimeSpan MaxLag = TimeSpan.FromMilliseconds(100);

        /// <summary>
        /// The inject rate: operations a second over all clients together (each takes an equal share, their
        /// slots interleaved evenly), or null for every client as fast as it can.
        /// </summary>
        public double? Rate { get; init; }

        /// <summary>
        /// The pace of client <paramref name="clientIndex"/> under <see cref="Rate"/>, counted from
        /// <paramref name="epoch"/> (Stopwatch ticks), or null without a rate. Client i's slots are offset by
        /// i/N of a client's period, so that the N schedules together are one even schedule at the full rate.
        /// </summary>
        public RateController? PaceFor(int clientIndex, long epoch)
        {
            if (Rate is not double rate || rate <= 0)
            {
                return null;
            }

            double perClient = rate / Copies;
            long offset = (long)(System.Diagnostics.Stopwatch.Frequency / perClient * clientIndex / Copies);
            return new RateController(perClient, epoch + offset, MaxLag);
        }

        /// <inheritdoc/>
        public override int PeakClients => Copies;

        /// <inheritdoc/>
        public override TimeSpan During => Window;

        /// <inheritdoc/>
        public override string Describe() =>
            $"keep {Copies} clients constant for {Window.TotalSeconds:0.#} s (ramp-up {RampUp.TotalSeconds:0.#} s, settle {Settle.TotalSeconds:0.#} s)" +
            (Rate is double rate ? $" at {rate:0.##} operations/s in all" : "");
    }
}
