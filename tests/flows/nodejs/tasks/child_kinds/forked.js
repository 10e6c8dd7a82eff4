console.log(["forked child prints", ...process.argv.slice(2)].join(" "));
