using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/WsFast.Benchmarks -- --filter '*'` runs everything;
// pass any BenchmarkDotNet switch (e.g. --filter '*Unmask*' --job short) to narrow it down.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
