def main(params):
    raise ValueError("blk_fail went wrong")
