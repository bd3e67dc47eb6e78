namespace WsFast.Load.Engine;

/// <summary>Estimates the time a run has left from its plan and the phase it is in.</summary>
internal static class RemainingTime
{
    /// <summary>
    /// The time left, or null without a plan. Connecting has no planned length, so while the clients connect
    /// the estimate is what follows it (a lower bound).
    /// </summary>
    public static TimeSpan? Estimate(LoadSimulation? plan, string phase, TimeSpan elapsed, TimeSpan inPhase)
    {
        if (plan is null)
        {
            return null;
        }

        TimeSpan window = plan.During;
        TimeSpan left = plan switch
        {
            LoadSimulation.KeepConstant keep => phase switch
            {
                "starting" or "ramp-up" => Positive(keep.RampUp - elapsed) + keep.Settle + window,
                "connecting" => keep.Settle + window,
                "settle" => Positive(keep.Settle - inPhase) + window,
                "measuring" => Positive(window - inPhase),
                _ => TimeSpan.Zero,
            },
            _ => phase switch
            {
                "measuring" => Positive(window - inPhase),
                "closing" => TimeSpan.Zero,
                _ => window,
            },
        };
        return left;
    }

    private static TimeSpan Positive(TimeSpan value) => value > TimeSpan.Zero ? value : TimeSpan.Zero;
}
