// The series selectors of a PromQL expression (metric name and label matchers), read by a small
// lexer instead of a hand-kept list: what the alert tests compare with real exporter scrapes.

/** One label matcher of a selector. */
export interface Matcher {
    label: string;
    op: "=" | "!=" | "=~" | "!~";
    value: string;
}

/** One series selector: `metric{label op "value", ...}`. */
export interface Selector {
    metric: string;
    matchers: Matcher[];
}

type Token = { kind: "ident" | "string" | "number" | "punct"; text: string };

const AGGREGATIONS = new Set([
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
]);
const KEYWORDS = new Set(["and", "or", "unless", "atan2", "bool", "offset", "inf", "nan"]);
const LABEL_LISTS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

function lex(expr: string): Token[] {
    const tokens: Token[] = [];
    const patterns: [Token["kind"] | "space" | "comment", RegExp][] = [
        ["space", /\s+/y],
        ["comment", /#[^\n]*/y],
        ["string", /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/y],
        ["number", /(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(?:[a-zA-Z][a-zA-Z0-9]*)*/y],
        ["ident", /[a-zA-Z_:][a-zA-Z0-9_:]*/y],
        ["punct", /=~|!~|!=|==|<=|>=|[-+*/%^(){}[\],<>=@:]/y],
    ];
    let at = 0;
    outer: while (at < expr.length) {
        for (const [kind, pattern] of patterns) {
            pattern.lastIndex = at;
            const match = pattern.exec(expr);
            if (!match) continue;
            at = pattern.lastIndex;
            if (kind !== "space" && kind !== "comment") tokens.push({ kind, text: match[0] });
            continue outer;
        }
        throw new Error(`promql: cannot read ${JSON.stringify(expr.slice(at, at + 20))} in ${expr}`);
    }
    return tokens;
}

function unquote(text: string): string {
    if (text.startsWith("`")) return text.slice(1, -1);
    return text.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

/** Every series selector of `expr`, in order. Throws on a selector it cannot read (a bare `{...}`). */
export function selectorsIn(expr: string): Selector[] {
    const tokens = lex(expr);
    const selectors: Selector[] = [];
    const skipGroup = (from: number, open: string, close: string): number => {
        let depth = 0;
        for (let index = from; index < tokens.length; index++) {
            if (tokens[index].text === open) depth++;
            if (tokens[index].text === close && --depth === 0) return index;
        }
        throw new Error(`promql: unbalanced ${open} in ${expr}`);
    };
    for (let index = 0; index < tokens.length; index++) {
        const token = tokens[index];
        const next = tokens[index + 1];
        if (token.text === "[") {
            index = skipGroup(index, "[", "]"); // ranges and subqueries
            continue;
        }
        if (token.text === "{") throw new Error(`promql: a selector without a metric name in ${expr}`);
        if (token.kind !== "ident") continue;
        if (LABEL_LISTS.has(token.text)) {
            if (next?.text === "(") index = skipGroup(index + 1, "(", ")");
            continue;
        }
        if (KEYWORDS.has(token.text.toLowerCase())) continue;
        if (next?.text === "(") continue; // a function or an aggregation
        if (AGGREGATIONS.has(token.text) && next !== undefined && LABEL_LISTS.has(next.text)) continue;
        const selector: Selector = { metric: token.text, matchers: [] };
        if (next?.text === "{") {
            const close = skipGroup(index + 1, "{", "}");
            const inner = tokens.slice(index + 2, close);
            for (let at = 0; at < inner.length; at += 4) {
                const [label, op, value, comma] = inner.slice(at, at + 4);
                if (
                    label?.kind !== "ident" ||
                    !["=", "!=", "=~", "!~"].includes(op?.text) ||
                    value?.kind !== "string" ||
                    (comma !== undefined && comma.text !== ",")
                ) {
                    throw new Error(`promql: cannot read the matchers of ${token.text} in ${expr}`);
                }
                selector.matchers.push({ label: label.text, op: op.text as Matcher["op"], value: unquote(value.text) });
            }
            index = close;
        }
        selectors.push(selector);
    }
    return selectors;
}

/** Whether a label value (absent: "") satisfies a matcher; regexes are anchored, as in PromQL. */
export function matches(matcher: Matcher, value: string | undefined): boolean {
    const actual = value ?? "";
    switch (matcher.op) {
        case "=":
            return actual === matcher.value;
        case "!=":
            return actual !== matcher.value;
        case "=~":
            return new RegExp(`^(?:${matcher.value})$`).test(actual);
        case "!~":
            return !new RegExp(`^(?:${matcher.value})$`).test(actual);
    }
}
