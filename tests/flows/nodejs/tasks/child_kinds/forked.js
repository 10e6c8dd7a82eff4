console.log("forked child prints");
