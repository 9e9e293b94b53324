using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using AgentOps.Platform.Http;

namespace AgentOps.Bench;

/// <summary>
/// `./agentops bench input-gate`: what the input gate costs on the hottest body, a 1,000-event ingest batch of
/// realistic shape (<see cref="EventGenerator"/>, about 0.6 MB), against the raw baseline every request pays anyway:
/// JsonDocument.Parse of the same bytes. Measured in process, single-threaded, as the median of many rounds: the gate's
/// walk of the whole body (UTF-8, depth, duplicate keys, text outside the items) and the parser's per-item text check
/// over all 1,000 items. Prints one JSON line with the medians, MB/s, the ratio to the baseline and the CPU steal.
/// </summary>
public static class InputGateBench
{
    public static int Run(string[] args)
    {
        var rounds = args.Contains("--quick") ? 50 : 400;
        var body = new EventGenerator(1000).Batch(1, 1);
        double Median(Action work)
        {
            for (var i = 0; i < 20; i++) work(); // warm-up: tiered compilation
            var samples = new double[rounds];
            for (var i = 0; i < rounds; i++)
            {
                var started = Stopwatch.GetTimestamp();
                work();
                samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            Array.Sort(samples);
            return samples[rounds / 2];
        }
        var before = BenchSupport.CpuTicks();
        var parse = Median(() => { using var d = JsonDocument.Parse(body); });
        var gate = Median(() => { if (JsonInput.Inspect(body, "batch") is not null) throw new InvalidOperationException("the generated batch was refused"); });
        using var document = JsonDocument.Parse(body);
        var items = document.RootElement.GetProperty("batch").EnumerateArray().ToArray();
        var perItem = Median(() =>
        {
            foreach (var item in items)
                if (JsonInput.InspectText(JsonMarshal.GetRawUtf8Value(item)) is not null) throw new InvalidOperationException("an item was refused");
        });
        var steal = BenchSupport.StealPercent(before, BenchSupport.CpuTicks());
        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        double MBps(double ms) => body.Length / 1e6 / (ms / 1000);
        Console.WriteLine($$"""{"bench":"input-gate","body_bytes":{{body.Length}},"events":1000,"rounds":{{rounds}},"parse_ms_median":{{F(parse)}},"gate_ms_median":{{F(gate)}},"items_text_ms_median":{{F(perItem)}},"parse_mb_s":{{F(MBps(parse))}},"gate_mb_s":{{F(MBps(gate))}},"gate_plus_items_to_parse_ratio":{{F((gate + perItem) / parse)}},"cpu_steal_percent":{{F(steal)}}}""");
        return 0;
    }
}
