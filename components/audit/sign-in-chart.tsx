/** Sign-ins vs failed sign-ins per UTC day, as plain SVG bars (no chart library). */
export function SignInChart({ days }: { days: { day: string; succeeded: number; failed: number }[] }) {
  const max = Math.max(1, ...days.map((d) => Math.max(d.succeeded, d.failed)));
  const W = 560;
  const H = 120;
  const slot = W / days.length;
  const bar = Math.max(2, slot / 2 - 3);
  const h = (n: number) => (n / max) * (H - 4);
  const total = days.reduce((a, d) => ({ s: a.s + d.succeeded, f: a.f + d.failed }), { s: 0, f: 0 });
  return (
    <figure className="grid gap-2">
      {total.s + total.f === 0 && <p className="text-sm text-muted-foreground">No SSO sign-in in the last {days.length} days.</p>}
      <svg
        viewBox={`0 0 ${W} ${H + 18}`}
        role="img"
        aria-label={`Sign-ins per day over the last ${days.length} days: ${total.s} succeeded, ${total.f} failed`}
        className="h-40 w-full max-w-2xl"
      >
        <line x1={0} x2={W} y1={H} y2={H} className="stroke-zinc-300" />
        {days.map((d, i) => {
          const x = i * slot + 2;
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${d.succeeded} succeeded, ${d.failed} failed`}</title>
              <rect x={x} y={H - h(d.succeeded)} width={bar} height={h(d.succeeded)} className="fill-emerald-500" />
              <rect x={x + bar + 1} y={H - h(d.failed)} width={bar} height={h(d.failed)} className="fill-red-500" />
              {(i % 2 === 0 || days.length <= 7) && (
                <text x={x} y={H + 13} className="fill-zinc-500 text-[9px]">
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="flex gap-4 text-xs text-muted-foreground">
        <span className="flex items-center gap-1">
          <span className="inline-block size-2.5 rounded-sm bg-emerald-500" aria-hidden /> Sign-ins ({total.s})
        </span>
        <span className="flex items-center gap-1">
          <span className="inline-block size-2.5 rounded-sm bg-red-500" aria-hidden /> Failures ({total.f})
        </span>
        <span>UTC days, max {max} per day</span>
      </figcaption>
    </figure>
  );
}
